using Dapper;
using Npgsql;
using Portal.Runbooks.Model;

namespace Portal.Runbooks.Storage;

/// <summary>Runbooks and categories in PostgreSQL. Versions are only ever inserted.</summary>
public sealed partial class RunbookStore(NpgsqlDataSource db) : IRunbookCatalog
{
    public async Task<IReadOnlyList<Category>> ListCategoriesAsync(CancellationToken ct = default)
    {
        const string sql = $"""
            SELECT key AS {nameof(CategoryRow.Key)}, position AS {nameof(CategoryRow.Position)},
                   title::text AS {nameof(CategoryRow.TitleJson)}
            FROM categories ORDER BY position, key
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<CategoryRow>(new CommandDefinition(sql, cancellationToken: ct));
        return [.. rows.Select(r => new Category(r.Key, r.Position, RunbookJson.Deserialize<LocalizedText>(r.TitleJson)))];
    }

    public async Task UpsertCategoryAsync(Category category, CancellationToken ct = default)
    {
        const string sql = """
            INSERT INTO categories (key, position, title) VALUES (@Key, @Position, @Title::jsonb)
            ON CONFLICT (key) DO UPDATE SET position = excluded.position, title = excluded.title
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(sql,
            new { category.Key, category.Position, Title = RunbookJson.Serialize(category.Title) }, cancellationToken: ct));
    }

    /// <summary>The latest version of every runbook, archived ones left out unless asked for.</summary>
    public async Task<IReadOnlyList<RunbookVersion>> ListCurrentAsync(bool includeArchived = false, CancellationToken ct = default)
    {
        var sql = $"""
            SELECT DISTINCT ON (r.id) {VersionColumns}
            FROM runbooks r JOIN runbook_versions v ON v.runbook_id = r.id
            {(includeArchived ? "" : "WHERE r.archived_at IS NULL")}
            ORDER BY r.id, v.version DESC
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<VersionRow>(new CommandDefinition(sql, cancellationToken: ct));
        return [.. rows.Select(ToVersion)];
    }

    /// <summary>The latest version of one runbook, or null when there is no such slug.</summary>
    public async Task<RunbookVersion?> GetCurrentAsync(string slug, CancellationToken ct = default)
    {
        const string sql = $"""
            SELECT {VersionColumns}
            FROM runbooks r JOIN runbook_versions v ON v.runbook_id = r.id
            WHERE r.slug = @slug
            ORDER BY v.version DESC LIMIT 1
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<VersionRow>(new CommandDefinition(sql, new { slug }, cancellationToken: ct));
        return row is null ? null : ToVersion(row);
    }

    public async Task<RunbookVersion?> GetVersionAsync(string slug, int version, CancellationToken ct = default)
    {
        const string sql = $"""
            SELECT {VersionColumns}
            FROM runbooks r JOIN runbook_versions v ON v.runbook_id = r.id
            WHERE r.slug = @slug AND v.version = @version
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<VersionRow>(new CommandDefinition(sql, new { slug, version }, cancellationToken: ct));
        return row is null ? null : ToVersion(row);
    }

    /// <summary>
    /// Saves <paramref name="content"/> as the version after <paramref name="basedOnVersion"/>
    /// (0 creates the runbook). Returns the new version number.
    /// </summary>
    /// <exception cref="RunbookConflictException">Someone saved a newer version in the meantime.</exception>
    public async Task<int> SaveAsync(
        string slug, RunbookContent content, int basedOnVersion, string author, string note, string source,
        CancellationToken ct = default)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);

        const string lockRunbook = """
            INSERT INTO runbooks (slug) VALUES (@slug) ON CONFLICT (slug) DO NOTHING;
            SELECT id FROM runbooks WHERE slug = @slug FOR UPDATE;
            """;
        // The row lock serialises concurrent saves of one runbook, so the version check below holds.
        var runbookId = await connection.ExecuteScalarAsync<long>(new CommandDefinition(lockRunbook, new { slug }, tx, cancellationToken: ct));

        const string latest = "SELECT coalesce(max(version), 0) FROM runbook_versions WHERE runbook_id = @runbookId";
        var current = await connection.ExecuteScalarAsync<int>(new CommandDefinition(latest, new { runbookId }, tx, cancellationToken: ct));
        if (current != basedOnVersion)
        {
            throw new RunbookConflictException(slug, basedOnVersion, current);
        }

        const string insert = """
            INSERT INTO runbook_versions (runbook_id, version, content, content_hash, author, note, source)
            VALUES (@runbookId, @version, @content::jsonb, @hash, @author, @note, @source)
            """;
        await connection.ExecuteAsync(new CommandDefinition(insert, new
        {
            runbookId,
            version = current + 1,
            content = RunbookJson.Serialize(content),
            hash = RunbookJson.Hash(content),
            author,
            note,
            source,
        }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return current + 1;
    }

    /// <summary>Hash and source of the latest version: what the seed needs to decide whether to touch it.</summary>
    internal async Task<(string Hash, string Source, int Version)?> GetLatestStampAsync(string slug, CancellationToken ct)
    {
        const string sql = """
            SELECT v.content_hash, v.source, v.version
            FROM runbooks r JOIN runbook_versions v ON v.runbook_id = r.id
            WHERE r.slug = @slug ORDER BY v.version DESC LIMIT 1
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<(string, string, int)?>(new CommandDefinition(sql, new { slug }, cancellationToken: ct));
        return row;
    }

    private const string VersionColumns = $"""
        r.slug AS {nameof(VersionRow.Slug)}, v.version AS {nameof(VersionRow.Version)},
        v.content::text AS {nameof(VersionRow.ContentJson)}, v.author AS {nameof(VersionRow.Author)},
        v.note AS {nameof(VersionRow.Note)}, v.source AS {nameof(VersionRow.Source)},
        v.created_at AS {nameof(VersionRow.CreatedAt)}, r.archived_at AS {nameof(VersionRow.ArchivedAt)}
        """;

    private static RunbookVersion ToVersion(VersionRow row) => new(
        row.Slug,
        row.Version,
        RunbookJson.Deserialize<RunbookContent>(row.ContentJson),
        row.Author,
        row.Note,
        row.Source,
        new DateTimeOffset(DateTime.SpecifyKind(row.CreatedAt, DateTimeKind.Utc)),
        row.ArchivedAt is not null);

    private sealed class VersionRow
    {
        public string Slug { get; init; } = "";
        public int Version { get; init; }
        public string ContentJson { get; init; } = "";
        public string Author { get; init; } = "";
        public string Note { get; init; } = "";
        public string Source { get; init; } = "";
        public DateTime CreatedAt { get; init; }
        public DateTime? ArchivedAt { get; init; }
    }

    private sealed class CategoryRow
    {
        public string Key { get; init; } = "";
        public int Position { get; init; }
        public string TitleJson { get; init; } = "";
    }
}
