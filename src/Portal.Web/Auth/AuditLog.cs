using System.Text.Json;
using Dapper;
using Npgsql;
using Portal.Web.Resilience;

namespace Portal.Web.Auth;

public sealed record AuditEntry(long Id, DateTimeOffset At, string Actor, string Source, string Action, string Target, string Outcome, string Details);

/// <summary>
/// Who did what, when, from where, with what outcome. Append-only: the database refuses to change
/// or remove a row. Callers pass details with secrets already masked. While the database is down,
/// records go to the local journal and reach the table when it is back.
/// </summary>
public sealed class AuditLog(NpgsqlDataSource db, PortalDegradedState state, DegradedJournal journal, ILogger<AuditLog> logger)
{
    public const string JournalKind = "audit";

    public async Task WriteAsync(string actor, string source, string action, string target, string outcome,
        object? details = null, CancellationToken ct = default)
    {
        var record = new AuditRecord(actor, source, action, target, outcome, JsonSerializer.Serialize(details ?? new { }), null);
        try
        {
            if (!state.DatabaseDown)
            {
                await InsertAsync(record, null, ct);
                return;
            }
        }
        catch (Exception ex) when (DatabaseFaults.IsUnreachable(ex) && !ct.IsCancellationRequested)
        {
            state.DatabaseFailed(ex.Message);
        }
        catch (NpgsqlException ex)
        {
            // The action itself already happened; its record must at least reach the log.
            logger.LogError(ex, "Audit record not stored: {Actor} {Action} {Target} {Outcome}", actor, action, target, outcome);
            return;
        }

        await journal.AppendAsync(JournalKind, record with { At = DateTimeOffset.UtcNow }, CancellationToken.None);
    }

    /// <summary>Stores a journaled record once (its key is claimed in the same transaction), at the time it happened.</summary>
    internal async Task ReplayAsync(JournalEntry entry, CancellationToken ct)
    {
        var record = entry.Data.Deserialize<AuditRecord>(JsonSerializerOptions.Web)!;
        await InsertAsync(record with { At = record.At ?? entry.At }, entry.Key, ct);
    }

    private async Task InsertAsync(AuditRecord r, Guid? journalKey, CancellationToken ct)
    {
        const string sql = """
            INSERT INTO audit_log (at, actor, source, action, target, outcome, details)
            VALUES (coalesce(@At, now()), @Actor, @Source, @Action, @Target, @Outcome, @Details::jsonb)
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (journalKey is { } key && !await JournalKeys.ClaimAsync(connection, tx, key, JournalKind, ct))
        {
            return;
        }

        await connection.ExecuteAsync(new CommandDefinition(sql, r, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    /// <summary>An audit record as journaled; <see cref="At"/> is set when it was kept locally.</summary>
    internal sealed record AuditRecord(string Actor, string Source, string Action, string Target, string Outcome, string Details, DateTimeOffset? At);

    public async Task<IReadOnlyList<AuditEntry>> QueryAsync(string? actor, string? action, DateTimeOffset? since, int limit, CancellationToken ct = default)
    {
        const string sql = """
            SELECT id, at, actor, source, action, target, outcome, details::text AS details
            FROM audit_log
            WHERE (@actor IS NULL OR actor = @actor) AND (@action IS NULL OR action LIKE @action || '%')
              AND (@since IS NULL OR at >= @since)
            ORDER BY id DESC LIMIT @limit
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(long Id, DateTime At, string Actor, string Source, string Action, string Target, string Outcome, string Details)>(
            new CommandDefinition(sql, new { actor, action, since, limit }, cancellationToken: ct));
        return [.. rows.Select(r => new AuditEntry(r.Id, new DateTimeOffset(DateTime.SpecifyKind(r.At, DateTimeKind.Utc)), r.Actor, r.Source, r.Action, r.Target, r.Outcome, r.Details))];
    }
}
