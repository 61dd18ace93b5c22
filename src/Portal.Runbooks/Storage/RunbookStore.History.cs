using Dapper;
using Portal.Runbooks.Model;

namespace Portal.Runbooks.Storage;

/// <summary>One line of a runbook's history: who saved which version, when, and why.</summary>
public sealed record RunbookHistoryEntry(int Version, string Author, string Note, string Source, DateTimeOffset CreatedAt, string ContentHash);

/// <summary>History and archiving: what the editor needs beyond reading and saving.</summary>
public sealed partial class RunbookStore
{
    /// <summary>Every version of a runbook, newest first; empty when there is no such slug.</summary>
    public async Task<IReadOnlyList<RunbookHistoryEntry>> ListVersionsAsync(string slug, CancellationToken ct = default)
    {
        const string sql = $"""
            SELECT v.version AS {nameof(HistoryRow.Version)}, v.author AS {nameof(HistoryRow.Author)}, v.note AS {nameof(HistoryRow.Note)},
                   v.source AS {nameof(HistoryRow.Source)}, v.created_at AS {nameof(HistoryRow.CreatedAt)}, v.content_hash AS {nameof(HistoryRow.ContentHash)}
            FROM runbooks r JOIN runbook_versions v ON v.runbook_id = r.id
            WHERE r.slug = @slug
            ORDER BY v.version DESC
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<HistoryRow>(new CommandDefinition(sql, new { slug }, cancellationToken: ct));
        return [.. rows.Select(r => new RunbookHistoryEntry(
            r.Version, r.Author, r.Note, r.Source, new DateTimeOffset(DateTime.SpecifyKind(r.CreatedAt, DateTimeKind.Utc)), r.ContentHash))];
    }

    /// <summary>
    /// Archives (hides from the catalog and new walkthroughs, keeps every version) or brings back a runbook.
    /// </summary>
    /// <returns>False when there is no such slug.</returns>
    public async Task<bool> SetArchivedAsync(string slug, bool archived, CancellationToken ct = default)
    {
        const string sql = """
            UPDATE runbooks SET archived_at = CASE WHEN @archived THEN coalesce(archived_at, now()) END
            WHERE slug = @slug
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(sql, new { slug, archived }, cancellationToken: ct)) > 0;
    }

    /// <summary>
    /// Saves the content of <paramref name="toVersion"/> again as a new version: history stays whole.
    /// </summary>
    /// <returns>The new version number, or null when <paramref name="toVersion"/> does not exist.</returns>
    /// <exception cref="RunbookConflictException">Someone saved after <paramref name="basedOnVersion"/>.</exception>
    public async Task<int?> RevertAsync(string slug, int toVersion, int basedOnVersion, string author, string note, CancellationToken ct = default)
    {
        var target = await GetVersionAsync(slug, toVersion, ct);
        if (target is null)
        {
            return null;
        }

        return await SaveAsync(slug, target.Content, basedOnVersion, author, note, VersionSources.User, ct);
    }

    private sealed class HistoryRow
    {
        public int Version { get; init; }
        public string Author { get; init; } = "";
        public string Note { get; init; } = "";
        public string Source { get; init; } = "";
        public DateTime CreatedAt { get; init; }
        public string ContentHash { get; init; } = "";
    }
}
