using System.Text.Json;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Portal.Web.Runs;

/// <summary>Runs and their events in PostgreSQL: for replay after a reconnect or a restart, and for the record.</summary>
public sealed class RunStore(NpgsqlDataSource db)
{
    public async Task InsertAsync(RunRecord run, CancellationToken ct)
    {
        const string sql = """
            INSERT INTO probe_runs (id, kind, environment, target, parameters, requested_by, started_at, status)
            VALUES (@Id, @Kind, @Environment, @Target, @Parameters::jsonb, @RequestedBy, @StartedAt, @Status)
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(sql, new
        {
            run.Id, run.Kind, run.Environment, run.Target,
            Parameters = JsonSerializer.Serialize(run.Parameters),
            run.RequestedBy, run.StartedAt, run.Status,
        }, cancellationToken: ct));
    }

    /// <summary>Appends events with binary COPY: one round trip per batch, however fast a probe prints.</summary>
    public async Task AppendEventsAsync(IReadOnlyList<RunEvent> events, CancellationToken ct)
    {
        if (events.Count == 0)
        {
            return;
        }

        await using var connection = await db.OpenConnectionAsync(ct);
        await using var writer = await connection.BeginBinaryImportAsync(
            "COPY probe_run_events (run_id, seq, at, type, payload) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var e in events)
        {
            await writer.StartRowAsync(ct);
            await writer.WriteAsync(e.RunId, NpgsqlDbType.Uuid, ct);
            await writer.WriteAsync(e.Seq, NpgsqlDbType.Bigint, ct);
            await writer.WriteAsync(e.At, NpgsqlDbType.TimestampTz, ct);
            await writer.WriteAsync(e.Type, NpgsqlDbType.Text, ct);
            await writer.WriteAsync(JsonSerializer.Serialize(e, JsonSerializerOptions.Web), NpgsqlDbType.Jsonb, ct);
        }

        await writer.CompleteAsync(ct);
    }

    public async Task FinishAsync(Guid id, string status, string summary, IReadOnlyDictionary<string, string> findings,
        int outputLines, int droppedLines, DateTimeOffset finishedAt, CancellationToken ct)
    {
        const string sql = """
            UPDATE probe_runs SET status = @status, summary = @summary, findings = @findings::jsonb,
                   output_lines = @outputLines, dropped_lines = @droppedLines, finished_at = @finishedAt
            WHERE id = @id
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(sql, new
        {
            id, status, summary, findings = JsonSerializer.Serialize(findings), outputLines, droppedLines, finishedAt,
        }, cancellationToken: ct));
    }

    public async Task<RunRecord?> GetAsync(Guid id, CancellationToken ct)
    {
        const string sql = """
            SELECT id, kind, environment, target, parameters::text, requested_by, started_at, finished_at, status, summary,
                   findings::text, output_lines, dropped_lines
            FROM probe_runs WHERE id = @id
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        return new RunRecord(
            reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
            JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(4)) ?? [],
            reader.GetString(5),
            reader.GetFieldValue<DateTimeOffset>(6),
            reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7),
            reader.GetString(8), reader.GetString(9),
            JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(10)) ?? [],
            reader.GetInt32(11), reader.GetInt32(12));
    }

    /// <summary>Stored events with seq &gt; <paramref name="afterSeq"/>, in order.</summary>
    public async Task<IReadOnlyList<RunEvent>> ReadEventsAsync(Guid id, long afterSeq, int limit, CancellationToken ct)
    {
        const string sql = "SELECT payload::text FROM probe_run_events WHERE run_id = @id AND seq > @afterSeq ORDER BY seq LIMIT @limit";
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<string>(new CommandDefinition(sql, new { id, afterSeq, limit }, cancellationToken: ct));
        return [.. rows.Select(r => JsonSerializer.Deserialize<RunEvent>(r, JsonSerializerOptions.Web)!)];
    }

    /// <summary>
    /// Runs left "running" by a portal that crashed are marked interrupted. Only runs older than
    /// any probe may last, so runs of other live instances are never touched.
    /// </summary>
    public async Task<int> MarkInterruptedAsync(CancellationToken ct)
    {
        const string sql = """
            UPDATE probe_runs SET status = 'interrupted', finished_at = now(),
                   summary = 'The portal stopped while this probe was running.'
            WHERE status = 'running' AND started_at < now() - interval '1 hour'
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(sql, cancellationToken: ct));
    }
}
