using System.Text.Json;
using Npgsql;

namespace Portal.Lab.Platform;

/// <summary>The platform's tables: registered components and workflows. Every call opens its own connection, as the platform's pool would.</summary>
public sealed class PlatformDatabase(LabOptions options)
{
    public const string FailedWorkflowId = "wf-lab-failed";

    public NpgsqlConnection Connect() => new(options.Postgres);

    public async Task EnsureSchemaAsync(CancellationToken ct)
    {
        const string sql = """
            CREATE TABLE IF NOT EXISTS components (name text PRIMARY KEY, url text NOT NULL, registered_at timestamptz NOT NULL DEFAULT now());
            CREATE TABLE IF NOT EXISTS workflows (id text PRIMARY KEY, status text NOT NULL, error text, steps jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
            INSERT INTO workflows (id, status, steps) VALUES ('wf-1001', 'succeeded',
              '[{"name":"prepare","status":"succeeded"},{"name":"train","status":"succeeded"},{"name":"evaluate","status":"succeeded"}]')
            ON CONFLICT (id) DO NOTHING;
            """;
        await using var connection = Connect();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task RegisterAsync(string name, string url, CancellationToken ct)
    {
        await using var connection = Connect();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            "INSERT INTO components (name, url) VALUES (@n, @u) ON CONFLICT (name) DO UPDATE SET url = excluded.url, registered_at = now()", connection);
        command.Parameters.AddWithValue("n", name);
        command.Parameters.AddWithValue("u", url);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The workflow as the guide's status endpoint returns it, or null when unknown.</summary>
    public async Task<object?> WorkflowAsync(string id, CancellationToken ct)
    {
        await using var connection = Connect();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("SELECT status, error, steps::text, updated_at FROM workflows WHERE id = @id", connection);
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        return new
        {
            workflow_id = id,
            status = reader.GetString(0),
            error = reader.IsDBNull(1) ? null : reader.GetString(1),
            steps = JsonSerializer.Deserialize<JsonElement>(reader.GetString(2)),
            updated_at = reader.GetFieldValue<DateTimeOffset>(3),
        };
    }

    public async Task<long> FailedWorkflowsAsync(CancellationToken ct)
    {
        await using var connection = Connect();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM workflows WHERE status = 'failed'", connection);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>The workflow-failed fault: a training run whose "train" step failed.</summary>
    public async Task SetFailedWorkflowAsync(bool failed, CancellationToken ct)
    {
        const string sql = """
            INSERT INTO workflows (id, status, error, steps) VALUES (@id, @status, @error, @steps::jsonb)
            ON CONFLICT (id) DO UPDATE SET status = excluded.status, error = excluded.error, steps = excluded.steps, updated_at = now()
            """;
        var steps = failed
            ? """[{"name":"prepare","status":"succeeded"},{"name":"train","status":"failed","error":"fine-tuning-service returned 500: CUDA out of memory"},{"name":"evaluate","status":"pending"}]"""
            : """[{"name":"prepare","status":"succeeded"},{"name":"train","status":"succeeded"},{"name":"evaluate","status":"succeeded"}]""";
        await using var connection = Connect();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", FailedWorkflowId);
        command.Parameters.AddWithValue("status", failed ? "failed" : "succeeded");
        command.Parameters.AddWithValue("error", failed ? "step 'train' failed" : (object)DBNull.Value);
        command.Parameters.AddWithValue("steps", steps);
        await command.ExecuteNonQueryAsync(ct);
    }
}
