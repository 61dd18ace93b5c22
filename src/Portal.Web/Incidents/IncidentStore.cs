using System.Collections.Concurrent;
using System.Data;
using System.Text.Json;
using Dapper;
using Npgsql;
using Portal.Web.Resilience;
using Portal.Web.Runs;

namespace Portal.Web.Incidents;

/// <summary>
/// Incidents and their timelines in PostgreSQL. Every change happens in one transaction under the
/// incident's row lock: the state is read, the change decided, events appended (seq 1, 2, 3… with no
/// gaps) and the state written together, so what the API acknowledges is stored. Events are only
/// ever inserted; the database refuses to update or delete them. The driver is read from the newest
/// driver_changed event (no column: events are appended only under the row lock, so it is as current
/// as the row itself).
/// While the database is down, incidents this instance has read are answered from memory, and changes
/// are decided against that copy, kept in the local journal (flushed to disk before they are acknowledged)
/// and replayed in order, exactly once, when it is back (<see cref="ReplayAsync"/>).
/// </summary>
public sealed class IncidentStore(NpgsqlDataSource db, PortalDegradedState state, DegradedJournal journal)
{
    public const string CreateKind = "incident.create";
    public const string ChangeKind = "incident.change";
    private static readonly JsonSerializerOptions Json = JsonSerializerOptions.Web;
    private readonly ConcurrentDictionary<Guid, Offline> _offline = new();
    private readonly SemaphoreSlim _offlineGate = new(1, 1);

    /// <summary>Inserts a new incident with its first events.</summary>
    public async Task CreateAsync(IncidentRecord incident, string actor, IReadOnlyList<NewIncidentEvent> events, CancellationToken ct)
    {
        if (await TryAsync(() => CreateInDatabaseAsync(incident, actor, events, null, ct), ct))
        {
            return;
        }

        var journaled = new JournaledCreate(incident, actor, [.. events.Select(JournaledEvent.From)]);
        await journal.AppendAsync(CreateKind, journaled, CancellationToken.None);
        var entry = _offline.GetOrAdd(incident.Id, _ => new Offline());
        lock (entry)
        {
            entry.Record = incident;
            entry.Timeline = [];
            entry.Apply(actor, journaled.Events, null, null, null, DateTimeOffset.UtcNow);
        }
    }

    private async Task CreateInDatabaseAsync(IncidentRecord incident, string actor, IReadOnlyList<NewIncidentEvent> events, Guid? journalKey, CancellationToken ct)
    {
        const string sql = """
            INSERT INTO incidents (id, runbook_slug, runbook_version, environment, title, status, started_by, started_at,
                                   position, inputs, last_seq)
            VALUES (@Id, @RunbookSlug, @RunbookVersion, @Environment, @Title, @Status, @StartedBy, @StartedAt,
                    @Position, @Inputs::jsonb, 0)
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (journalKey is { } key && !await JournalKeys.ClaimAsync(connection, tx, key, CreateKind, ct))
        {
            return;
        }

        await connection.ExecuteAsync(new CommandDefinition(sql, new
        {
            incident.Id, incident.RunbookSlug, incident.RunbookVersion, incident.Environment, incident.Title,
            incident.Status, incident.StartedBy, incident.StartedAt, incident.Position,
            Inputs = JsonSerializer.Serialize(incident.Inputs, Json),
        }, tx, cancellationToken: ct));
        await AppendAsync(connection, tx, incident.Id, 0, actor, events, journalKey is null ? null : incident.StartedAt, ct);
        await tx.CommitAsync(ct);
    }

    public async Task<IncidentRecord?> GetAsync(Guid id, CancellationToken ct)
    {
        if (Local(id) is { } local)
        {
            return local.Record;
        }

        if (state.DatabaseDown)
        {
            return (_offline.TryGetValue(id, out var known) ? known.Record : null) ?? throw Unavailable(id);
        }

        try
        {
            const string sql = $"SELECT {Columns} FROM incidents WHERE id = @id";
            await using var connection = await db.OpenConnectionAsync(ct);
            var row = await connection.QuerySingleOrDefaultAsync<IncidentRow>(new CommandDefinition(sql, new { id }, cancellationToken: ct));
            var record = row?.ToRecord();
            if (record is { IsOpen: true })
            {
                var entry = _offline.GetOrAdd(id, _ => new Offline());
                lock (entry)
                {
                    entry.Record = record;
                }
            }
            else
            {
                // Only open incidents are kept for an outage: memory stays bounded by what is in progress.
                _offline.TryRemove(id, out _);
            }

            return record;
        }
        catch (Exception ex) when (DatabaseFaults.IsUnreachable(ex) && !ct.IsCancellationRequested)
        {
            state.DatabaseFailed(ex.Message);
            return (_offline.TryGetValue(id, out var known) ? known.Record : null) ?? throw Unavailable(id);
        }
    }

    /// <summary>Newest first; <paramref name="status"/> null means any.</summary>
    public async Task<IReadOnlyList<IncidentRecord>> ListAsync(string? status, int limit, CancellationToken ct)
    {
        if (state.DatabaseDown)
        {
            return [.. _offline.Values.Select(o => o.Record).OfType<IncidentRecord>()
                .Where(r => status is null || r.Status == status).OrderByDescending(r => r.StartedAt).Take(limit)];
        }

        const string sql = $"""
            SELECT {Columns} FROM incidents
            WHERE @status::text IS NULL OR status = @status
            ORDER BY started_at DESC, id LIMIT @limit
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<IncidentRow>(new CommandDefinition(sql, new { status, limit }, cancellationToken: ct));
        return [.. rows.Select(r => r.ToRecord())];
    }

    /// <summary>The whole timeline, in order.</summary>
    public async Task<IReadOnlyList<IncidentEvent>> ReadEventsAsync(Guid id, CancellationToken ct)
    {
        if (Local(id) is { } entry0)
        {
            // A copy: the journaled timeline keeps growing while the caller reads it.
            lock (entry0)
            {
                if (entry0.Timeline is { } local)
                {
                    return [.. local];
                }
            }
        }

        if (state.DatabaseDown)
        {
            return (_offline.TryGetValue(id, out var known) ? known.DatabaseTimeline : null) ?? throw Unavailable(id);
        }

        try
        {
            var timeline = await ReadEventsFromDatabaseAsync(id, ct);
            if (_offline.TryGetValue(id, out var entry))
            {
                lock (entry)
                {
                    entry.DatabaseTimeline = timeline;
                }
            }

            return timeline;
        }
        catch (Exception ex) when (DatabaseFaults.IsUnreachable(ex) && !ct.IsCancellationRequested)
        {
            state.DatabaseFailed(ex.Message);
            return (_offline.TryGetValue(id, out var known) ? known.DatabaseTimeline : null) ?? throw Unavailable(id);
        }
    }

    private async Task<IReadOnlyList<IncidentEvent>> ReadEventsFromDatabaseAsync(Guid id, CancellationToken ct)
    {
        const string sql = $"""
            SELECT seq AS {nameof(EventRow.Seq)}, at AS {nameof(EventRow.At)}, actor AS {nameof(EventRow.Actor)},
                   type AS {nameof(EventRow.Type)}, payload::text AS {nameof(EventRow.PayloadJson)}
            FROM incident_events WHERE incident_id = @id ORDER BY seq
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<EventRow>(new CommandDefinition(sql, new { id }, cancellationToken: ct));
        return [.. rows.Select(r => new IncidentEvent(
            r.Seq, ToUtc(r.At), r.Actor, r.Type, JsonDocument.Parse(r.PayloadJson).RootElement.Clone()))];
    }

    /// <summary>Runs started for this incident whose end is not recorded yet (normally zero or one).</summary>
    public async Task<IReadOnlyList<Guid>> ListUnfinishedRunsAsync(Guid id, CancellationToken ct)
    {
        const string sql = """
            SELECT (s.payload ->> 'runId')::uuid FROM incident_events s
            WHERE s.incident_id = @id AND s.type = 'probe_started'
              AND NOT EXISTS (SELECT 1 FROM incident_events f
                              WHERE f.incident_id = s.incident_id AND f.type = 'probe_finished'
                                AND f.payload ->> 'runId' = s.payload ->> 'runId')
            ORDER BY s.seq
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<Guid>(new CommandDefinition(sql, new { id }, cancellationToken: ct))];
    }

    /// <summary>
    /// Locks the incident, lets <paramref name="decide"/> look at it and say what changes (null: nothing),
    /// and stores that. An exception from <paramref name="decide"/> rolls back: nothing is recorded.
    /// With <paramref name="unlessRunFinished"/>, nothing happens when that run's end is already recorded.
    /// </summary>
    /// <returns>The incident after the change and the events appended; null when there is no such incident.</returns>
    public async Task<(IncidentRecord Incident, IReadOnlyList<long> Seqs)?> ChangeAsync(
        Guid id, string actor, Func<IncidentRecord, IncidentChange?> decide, CancellationToken ct, Guid? unlessRunFinished = null)
    {
        if (!state.DatabaseDown && Local(id) is null)
        {
            try
            {
                return await ChangeInDatabaseAsync(id, actor, decide, unlessRunFinished, null, null, ct);
            }
            catch (Exception ex) when (DatabaseFaults.IsUnreachable(ex) && !ct.IsCancellationRequested)
            {
                state.DatabaseFailed(ex.Message);
            }
        }

        return await ChangeOfflineAsync(id, actor, decide, unlessRunFinished);
    }

    /// <summary>Applies one journaled create or change exactly once: its key is claimed in the same transaction.</summary>
    internal async Task ReplayAsync(JournalEntry entry, CancellationToken ct)
    {
        if (entry.Kind == CreateKind)
        {
            var create = entry.Data.Deserialize<JournaledCreate>(Json)!;
            await CreateInDatabaseAsync(create.Incident, create.Actor, [.. create.Events.Select(e => e.ToNew())], entry.Key, ct);
            return;
        }

        var change = entry.Data.Deserialize<JournaledChange>(Json)!;
        await ChangeInDatabaseAsync(change.IncidentId, change.Actor,
            _ => new IncidentChange([.. change.Events.Select(e => e.ToNew())], change.Position, change.Inputs, change.Status),
            change.UnlessRunFinished, entry.Key, entry.At, ct);
    }

    /// <summary>After a replay: what the database says counts again, the local copies are dropped.</summary>
    internal void ForgetOffline()
    {
        foreach (var entry in _offline.Values)
        {
            lock (entry)
            {
                entry.Timeline = null;
                entry.DatabaseTimeline = null;
            }
        }
    }

    private async Task<(IncidentRecord Incident, IReadOnlyList<long> Seqs)?> ChangeOfflineAsync(
        Guid id, string actor, Func<IncidentRecord, IncidentChange?> decide, Guid? unlessRunFinished)
    {
        await _offlineGate.WaitAsync();
        try
        {
            if (!_offline.TryGetValue(id, out var entry) || entry.Record is null)
            {
                throw Unavailable(id);
            }

            IncidentRecord record;
            IReadOnlyList<IncidentEvent> timeline;
            lock (entry)
            {
                record = entry.Record;
                timeline = entry.Timeline ?? entry.DatabaseTimeline ?? throw Unavailable(id);
            }

            if (unlessRunFinished is { } runId && timeline.Any(e => e.Type == IncidentEventTypes.ProbeFinished && e.Get("runId") == runId.ToString()))
            {
                return (record, []);
            }

            var change = decide(record);
            if (change is null || (change.Events.Count == 0 && change.Position is null && change.Inputs is null && change.Status is null))
            {
                return (record, []);
            }

            var journaled = new JournaledChange(id, actor, [.. change.Events.Select(JournaledEvent.From)], change.Position, change.Inputs, change.Status, unlessRunFinished);
            await journal.AppendAsync(ChangeKind, journaled, CancellationToken.None);
            lock (entry)
            {
                entry.Timeline ??= [.. timeline];
                var seqs = entry.Apply(actor, journaled.Events, change.Position, change.Inputs, change.Status, DateTimeOffset.UtcNow);
                return (entry.Record!, seqs);
            }
        }
        finally
        {
            _offlineGate.Release();
        }
    }

    /// <summary>The local copy when it holds changes the database does not have yet (journaled).</summary>
    private Offline? Local(Guid id) => _offline.TryGetValue(id, out var entry) && entry.Timeline is not null ? entry : null;

    private static DatabaseUnavailableException Unavailable(Guid id) =>
        new($"The portal's database is down and incident {id} was not open on this instance before it went down; it can be read again when the database is back.");

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

    private async Task<(IncidentRecord Incident, IReadOnlyList<long> Seqs)?> ChangeInDatabaseAsync(
        Guid id, string actor, Func<IncidentRecord, IncidentChange?> decide, Guid? unlessRunFinished,
        Guid? journalKey, DateTimeOffset? at, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (journalKey is { } key && !await JournalKeys.ClaimAsync(connection, tx, key, ChangeKind, ct))
        {
            return null;
        }

        const string lockSql = $"SELECT {Columns} FROM incidents WHERE id = @id FOR UPDATE";
        var row = await connection.QuerySingleOrDefaultAsync<IncidentRow>(new CommandDefinition(lockSql, new { id }, tx, cancellationToken: ct));
        if (row is null)
        {
            return null;
        }

        var incident = row.ToRecord();
        if (unlessRunFinished is { } runId)
        {
            const string finished = """
                SELECT EXISTS (SELECT 1 FROM incident_events
                               WHERE incident_id = @id AND type = 'probe_finished' AND payload ->> 'runId' = @runId)
                """;
            if (await connection.ExecuteScalarAsync<bool>(new CommandDefinition(finished, new { id, runId = runId.ToString() }, tx, cancellationToken: ct)))
            {
                return (incident, []);
            }
        }

        var change = decide(incident);
        if (change is null || (change.Events.Count == 0 && change.Position is null && change.Inputs is null && change.Status is null))
        {
            return (incident, []);
        }

        var seqs = await AppendAsync(connection, tx, id, incident.LastSeq, actor, change.Events, at, ct);
        const string update = """
            UPDATE incidents SET
                position = coalesce(@Position, position),
                inputs = coalesce(@Inputs::jsonb, inputs),
                status = coalesce(@Status, status),
                closed_at = CASE WHEN coalesce(@Status, status) = 'open' THEN NULL ELSE coalesce(closed_at, now()) END,
                last_seq = @LastSeq
            WHERE id = @Id
            """;
        var lastSeq = seqs.Count > 0 ? seqs[^1] : incident.LastSeq;
        await connection.ExecuteAsync(new CommandDefinition(update, new
        {
            Id = id,
            change.Position,
            Inputs = change.Inputs is null ? null : JsonSerializer.Serialize(change.Inputs, Json),
            change.Status,
            LastSeq = lastSeq,
        }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return (await GetAsync(id, ct) ?? incident, seqs);
    }

    /// <summary>The last <paramref name="count"/> output lines of a run (already redacted by the runner), oldest first.</summary>
    public async Task<IReadOnlyList<RunEvent>> ReadOutputTailAsync(Guid runId, int count, CancellationToken ct)
    {
        const string sql = """
            SELECT payload::text FROM (
                SELECT seq, payload FROM probe_run_events WHERE run_id = @runId AND type = 'output'
                ORDER BY seq DESC LIMIT @count) tail
            ORDER BY seq
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<string>(new CommandDefinition(sql, new { runId, count }, cancellationToken: ct));
        return [.. rows.Select(r => JsonSerializer.Deserialize<RunEvent>(r, Json)!)];
    }

    private static async Task<IReadOnlyList<long>> AppendAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, Guid id, long lastSeq, string actor,
        IReadOnlyList<NewIncidentEvent> events, DateTimeOffset? at, CancellationToken ct)
    {
        // Replayed events keep the time they happened at, not the time the database came back.
        const string sql = """
            INSERT INTO incident_events (incident_id, seq, at, actor, type, payload)
            VALUES (@id, @seq, coalesce(@at, now()), @actor, @type, @payload::jsonb)
            """;
        var seqs = new List<long>(events.Count);
        foreach (var e in events)
        {
            var seq = lastSeq + seqs.Count + 1;
            await connection.ExecuteAsync(new CommandDefinition(sql, new
            {
                id, seq, at, actor, type = e.Type, payload = JsonSerializer.Serialize(e.Payload, e.Payload.GetType(), Json),
            }, tx, cancellationToken: ct));
            seqs.Add(seq);
        }

        if (seqs.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE incidents SET last_seq = @last WHERE id = @id", new { id, last = seqs[^1] }, tx, cancellationToken: ct));
        }

        return seqs;
    }

    private static DateTimeOffset ToUtc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    private const string Columns = $"""
        id AS {nameof(IncidentRow.Id)}, runbook_slug AS {nameof(IncidentRow.RunbookSlug)},
        runbook_version AS {nameof(IncidentRow.RunbookVersion)}, environment AS {nameof(IncidentRow.Environment)},
        title AS {nameof(IncidentRow.Title)}, status AS {nameof(IncidentRow.Status)}, started_by AS {nameof(IncidentRow.StartedBy)},
        started_at AS {nameof(IncidentRow.StartedAt)}, closed_at AS {nameof(IncidentRow.ClosedAt)},
        position AS {nameof(IncidentRow.Position)}, inputs::text AS {nameof(IncidentRow.InputsJson)},
        last_seq AS {nameof(IncidentRow.LastSeq)},
        coalesce((SELECT d.payload ->> 'driver' FROM incident_events d
                  WHERE d.incident_id = incidents.id AND d.type = 'driver_changed'
                  ORDER BY d.seq DESC LIMIT 1), started_by) AS {nameof(IncidentRow.Driver)}
        """;

    private sealed class IncidentRow
    {
        public Guid Id { get; init; }
        public string RunbookSlug { get; init; } = "";
        public int RunbookVersion { get; init; }
        public string Environment { get; init; } = "";
        public string Title { get; init; } = "";
        public string Status { get; init; } = "";
        public string StartedBy { get; init; } = "";
        public DateTime StartedAt { get; init; }
        public DateTime? ClosedAt { get; init; }
        public string Position { get; init; } = "";
        public string InputsJson { get; init; } = "{}";
        public long LastSeq { get; init; }
        public string Driver { get; init; } = "";

        public IncidentRecord ToRecord() => new(
            Id, RunbookSlug, RunbookVersion, Environment, Title, Status, StartedBy, ToUtc(StartedAt),
            ClosedAt is { } closed ? ToUtc(closed) : null, Position,
            JsonSerializer.Deserialize<Dictionary<string, string>>(InputsJson, Json) ?? [], LastSeq, Driver);
    }

    private sealed class EventRow
    {
        public long Seq { get; init; }
        public DateTime At { get; init; }
        public string Actor { get; init; } = "";
        public string Type { get; init; } = "";
        public string PayloadJson { get; init; } = "{}";
    }
}
