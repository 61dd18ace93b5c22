using System.Text.Json;
using Dapper;
using Npgsql;

namespace Portal.Web.Auth;

public sealed record AuditEntry(long Id, DateTimeOffset At, string Actor, string Source, string Action, string Target, string Outcome, string Details);

/// <summary>
/// Who did what, when, from where, with what outcome. Append-only: the database refuses to change
/// or remove a row. Callers pass details with secrets already masked.
/// </summary>
public sealed class AuditLog(NpgsqlDataSource db, ILogger<AuditLog> logger)
{
    public async Task WriteAsync(string actor, string source, string action, string target, string outcome,
        object? details = null, CancellationToken ct = default)
    {
        const string sql = """
            INSERT INTO audit_log (actor, source, action, target, outcome, details)
            VALUES (@actor, @source, @action, @target, @outcome, @details::jsonb)
            """;
        try
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            await connection.ExecuteAsync(new CommandDefinition(sql, new
            {
                actor, source, action, target, outcome, details = JsonSerializer.Serialize(details ?? new { }),
            }, cancellationToken: ct));
        }
        catch (NpgsqlException ex)
        {
            // The action itself already happened; its record must at least reach the log.
            logger.LogError(ex, "Audit record not stored: {Actor} {Action} {Target} {Outcome}", actor, action, target, outcome);
        }
    }

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
