using System.Collections.Concurrent;
using System.Text.Json;
using Dapper;
using Npgsql;
using NpgsqlTypes;
using Portal.Web.Resilience;

namespace Portal.Web.Runs;

/// <summary>
/// Runs and their events in PostgreSQL: for replay after a reconnect or a restart, and for the record.
/// While the database is down, writes go to the local journal (replayed in order when it is back) and the
/// runs of this instance are answered from memory, so probes keep running and streaming.
/// </summary>
public sealed class RunStore(NpgsqlDataSource db, PortalDegradedState state, DegradedJournal journal, PortalInstance instance)
{
    public const string InsertKind = "run.insert";
    public const string EventsKind = "run.events";
    public const string FinishKind = "run.finish";
    private static readonly JsonSerializerOptions Json = JsonSerializerOptions.Web;

    /// <summary>Runs whose rows are only in the journal so far (kept until the portal stops; a handful per outage).</summary>
    private readonly ConcurrentDictionary<Guid, RunRecord> _offline = new();

    public async Task InsertAsync(RunRecord run, CancellationToken ct)
    {
        if (await TryAsync(() => InsertRowAsync(run, null, null, ct), ct))
        {
            return;
        }

        _offline[run.Id] = run;
        await journal.AppendAsync(InsertKind, run, CancellationToken.None);
    }

    private async Task InsertRowAsync(RunRecord run, Guid? journalKey, Guid? instanceId, CancellationToken ct)
    {
        const string sql = """
            INSERT INTO probe_runs (id, kind, environment, target, parameters, requested_by, started_at, status, instance_id)
            VALUES (@Id, @Kind, @Environment, @Target, @Parameters::jsonb, @RequestedBy, @StartedAt, @Status, @Instance)
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (journalKey is { } key && !await JournalKeys.ClaimAsync(connection, tx, key, InsertKind, ct))
        {
            return;
        }

        await connection.ExecuteAsync(new CommandDefinition(sql, new
        {
            run.Id, run.Kind, run.Environment, run.Target,
            Parameters = JsonSerializer.Serialize(run.Parameters),
            run.RequestedBy, run.StartedAt, run.Status, Instance = instanceId ?? instance.Id,
        }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    /// <summary>Appends events with binary COPY: one round trip per batch, however fast a probe prints.</summary>
    public async Task AppendEventsAsync(IReadOnlyList<RunEvent> events, CancellationToken ct)
    {
        if (events.Count == 0)
        {
            return;
        }

        if (!await TryAsync(() => CopyEventsAsync(events, null, ct), ct))
        {
            await journal.AppendAsync(EventsKind, events, CancellationToken.None);
        }
    }

    private async Task CopyEventsAsync(IReadOnlyList<RunEvent> events, Guid? journalKey, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (journalKey is { } key && !await JournalKeys.ClaimAsync(connection, tx, key, EventsKind, ct))
        {
            return;
        }

        await using (var writer = await connection.BeginBinaryImportAsync(
            "COPY probe_run_events (run_id, seq, at, type, payload) FROM STDIN (FORMAT BINARY)", ct))
        {
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

        await tx.CommitAsync(ct);
    }

    public async Task FinishAsync(Guid id, string status, string summary, IReadOnlyDictionary<string, string> findings,
        int outputLines, int droppedLines, DateTimeOffset finishedAt, CancellationToken ct)
    {
        var finish = new RunFinish(id, status, summary, findings, outputLines, droppedLines, finishedAt);
        if (await TryAsync(() => UpdateFinishedAsync(finish, null, ct), ct))
        {
            _offline.TryRemove(id, out _);
            return;
        }

        if (_offline.TryGetValue(id, out var run))
        {
            _offline[id] = run with
            {
                Status = status, Summary = summary, Findings = findings, OutputLines = outputLines, DroppedLines = droppedLines, FinishedAt = finishedAt,
            };
        }

        await journal.AppendAsync(FinishKind, finish, CancellationToken.None);
    }

    private async Task UpdateFinishedAsync(RunFinish f, Guid? journalKey, CancellationToken ct)
    {
        const string sql = """
            UPDATE probe_runs SET status = @Status, summary = @Summary, findings = @Findings::jsonb,
                   output_lines = @OutputLines, dropped_lines = @DroppedLines, finished_at = @FinishedAt
            WHERE id = @Id
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (journalKey is { } key && !await JournalKeys.ClaimAsync(connection, tx, key, FinishKind, ct))
        {
            return;
        }

        await connection.ExecuteAsync(new CommandDefinition(sql, new
        {
            f.Id, f.Status, f.Summary, Findings = JsonSerializer.Serialize(f.Findings), f.OutputLines, f.DroppedLines, f.FinishedAt,
        }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    /// <summary>Applies one journaled write exactly once (see <see cref="JournalReplayer"/>).</summary>
    internal async Task ReplayAsync(JournalEntry entry, CancellationToken ct)
    {
        switch (entry.Kind)
        {
            case InsertKind:
                var run = entry.Data.Deserialize<RunRecord>(Json)!;
                // A run journaled by an earlier process that died: stamped with an instance that never beats, so
                // unless its finish follows in the journal, the heartbeat sweep marks it interrupted.
                await InsertRowAsync(run, entry.Key, _offline.ContainsKey(run.Id) ? null : Guid.CreateVersion7(), ct);
                break;
            case EventsKind:
                await CopyEventsAsync(entry.Data.Deserialize<List<RunEvent>>(Json)!, entry.Key, ct);
                break;
            case FinishKind:
                var finish = entry.Data.Deserialize<RunFinish>(Json)!;
                await UpdateFinishedAsync(finish, entry.Key, ct);
                _offline.TryRemove(finish.Id, out _);
                break;
        }
    }

    /// <summary>Runs <paramref name="write"/> unless the database is known to be down; false when it is (or turns out to be) unreachable.</summary>
    private async Task<bool> TryAsync(Func<Task> write, CancellationToken ct)
    {
        if (state.DatabaseDown)
        {
            return false;
        }

        try
        {
            await write();
            return true;
        }
        catch (Exception ex) when (DatabaseFaults.IsUnreachable(ex) && !ct.IsCancellationRequested)
        {
            state.DatabaseFailed(ex.Message);
            return false;
        }
    }

    private sealed record RunFinish(Guid Id, string Status, string Summary, IReadOnlyDictionary<string, string> Findings,
        int OutputLines, int DroppedLines, DateTimeOffset FinishedAt);

    public async Task<RunRecord?> GetAsync(Guid id, CancellationToken ct)
    {
        if (_offline.TryGetValue(id, out var offline))
        {
            // Its row is not in the database yet (or only half: the journal is being replayed).
            return offline;
        }

        if (state.DatabaseDown)
        {
            return null; // not known here; asked again once the database is back
        }

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
        if (_offline.ContainsKey(id))
        {
            return []; // journaled: viewers read this instance's live feed
        }

        const string sql = "SELECT payload::text FROM probe_run_events WHERE run_id = @id AND seq > @afterSeq ORDER BY seq LIMIT @limit";
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<string>(new CommandDefinition(sql, new { id, afterSeq, limit }, cancellationToken: ct));
        return [.. rows.Select(r => JsonSerializer.Deserialize<RunEvent>(r, JsonSerializerOptions.Web)!)];
    }

    /// <summary>
    /// Runs left "running" by a portal that stopped (killed, crashed) are marked interrupted: runs of an
    /// instance that has not been seen for <paramref name="silence"/> (<see cref="PortalInstance"/> beats
    /// every few seconds), runs of no known instance, and any run older than any probe may last. Runs of
    /// live instances are never touched.
    /// </summary>
    public async Task<int> MarkInterruptedAsync(TimeSpan silence, CancellationToken ct)
    {
        const string sql = """
            UPDATE probe_runs r SET status = 'interrupted', finished_at = now(),
                   summary = 'The portal stopped while this probe was running.'
            WHERE r.status = 'running'
              AND (r.started_at < now() - interval '1 hour'
                   OR (r.instance_id IS NOT NULL AND r.instance_id <> @self
                       AND NOT EXISTS (SELECT 1 FROM portal_instances i
                                       WHERE i.id = r.instance_id AND i.seen_at > now() - @silence)))
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(sql, new { self = instance.Id, silence }, cancellationToken: ct));
    }
}
