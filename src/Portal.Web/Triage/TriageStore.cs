using System.Text.Json;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Portal.Web.Triage;

/// <summary>Sweeps and per-environment sweep definitions in PostgreSQL.</summary>
public sealed class TriageStore(NpgsqlDataSource db)
{
    private static readonly JsonSerializerOptions Json = JsonSerializerOptions.Web;

    public async Task InsertAsync(SweepRecord sweep, CancellationToken ct)
    {
        const string sql = """
            INSERT INTO triage_sweeps (id, environment, requested_by, started_at, status, cells)
            VALUES (@id, @environment, @requestedBy, @startedAt, @status, @cells)
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", sweep.Id);
        command.Parameters.AddWithValue("environment", sweep.Environment);
        command.Parameters.AddWithValue("requestedBy", sweep.RequestedBy);
        command.Parameters.AddWithValue("startedAt", sweep.StartedAt);
        command.Parameters.AddWithValue("status", sweep.Status);
        command.Parameters.AddWithValue("cells", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(sweep.Cells, Json));
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Records the end and the suggestions as they stood; a sweep finishes once.</summary>
    public async Task FinishAsync(Guid id, IReadOnlyList<SweepSuggestion> suggestions, CancellationToken ct)
    {
        const string sql = """
            UPDATE triage_sweeps SET status = 'done', finished_at = now(), suggestions = @suggestions
            WHERE id = @id AND status = 'running'
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("suggestions", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(suggestions, Json));
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<SweepRecord?> GetAsync(Guid id, CancellationToken ct)
    {
        const string sql = """
            SELECT id, environment, requested_by, started_at, finished_at, status, cells::text, suggestions::text
            FROM triage_sweeps WHERE id = @id
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        return new SweepRecord(
            reader.GetGuid(0), reader.GetString(1), reader.GetString(2),
            reader.GetFieldValue<DateTimeOffset>(3),
            reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
            reader.GetString(5),
            JsonSerializer.Deserialize<List<SweepCell>>(reader.GetString(6), Json) ?? [],
            JsonSerializer.Deserialize<List<SweepSuggestion>>(reader.GetString(7), Json) ?? []);
    }

    /// <summary>The newest sweeps, for the page's history.</summary>
    public async Task<IReadOnlyList<(Guid Id, string Environment, DateTimeOffset StartedAt, string Status)>> ListAsync(int limit, CancellationToken ct)
    {
        const string sql = "SELECT id, environment, started_at, status FROM triage_sweeps ORDER BY started_at DESC LIMIT @limit";
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(Guid, string, DateTime, string)>(new CommandDefinition(sql, new { limit }, cancellationToken: ct));
        return [.. rows.Select(r => (r.Item1, r.Item2, new DateTimeOffset(DateTime.SpecifyKind(r.Item3, DateTimeKind.Utc)), r.Item4))];
    }

    public async Task<SweepDefinition?> GetDefinitionAsync(string environment, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var json = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT definition::text FROM triage_definitions WHERE environment = @environment", new { environment }, cancellationToken: ct));
        return json is null ? null : JsonSerializer.Deserialize<SweepDefinition>(json, Json);
    }

    /// <summary>Sets an environment's definition; null goes back to the defaults.</summary>
    public async Task SetDefinitionAsync(string environment, SweepDefinition? definition, string user, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        if (definition is null)
        {
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM triage_definitions WHERE environment = @environment", new { environment }, cancellationToken: ct));
            return;
        }

        const string sql = """
            INSERT INTO triage_definitions (environment, definition, updated_by) VALUES (@environment, @definition::jsonb, @user)
            ON CONFLICT (environment) DO UPDATE SET definition = excluded.definition, updated_by = excluded.updated_by, updated_at = now()
            """;
        await connection.ExecuteAsync(new CommandDefinition(sql, new { environment, definition = JsonSerializer.Serialize(definition, Json), user }, cancellationToken: ct));
    }
}
