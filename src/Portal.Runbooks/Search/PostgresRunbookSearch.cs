using System.Text;
using Dapper;
using Npgsql;
using Portal.Runbooks.Model;
using Portal.Runbooks.Storage;

namespace Portal.Runbooks.Search;

/// <summary>
/// Search over the runbook_search table (migration 0005): GIN full text for words and Chinese
/// bigrams, GIN pg_trgm for substrings inside Latin words; ranked by ts_rank with title &gt;
/// symptoms &gt; step and solution titles &gt; bodies.
/// </summary>
public sealed class PostgresRunbookSearch(NpgsqlDataSource db) : IRunbookSearch
{
    public async Task<IReadOnlyList<RunbookSearchHit>> SearchAsync(string? query, int limit = 50, CancellationToken ct = default)
    {
        var parsed = SearchQuery.Parse(query);
        if (parsed.Terms.Count == 0)
        {
            return [];
        }

        var parameters = new DynamicParameters();
        parameters.Add("any", parsed.AnyTerm);
        parameters.Add("limit", Math.Clamp(limit, 1, 500));
        var where = new StringBuilder("r.archived_at IS NULL");
        for (var i = 0; i < parsed.Terms.Count; i++)
        {
            var term = parsed.Terms[i];
            parameters.Add($"q{i}", term.TsQuery);
            where.Append(System.Globalization.CultureInfo.InvariantCulture, $" AND (s.tsv @@ to_tsquery('simple', @q{i})");
            if (term.Like is not null)
            {
                parameters.Add($"p{i}", term.Like);
                where.Append(System.Globalization.CultureInfo.InvariantCulture, $" OR s.body LIKE @p{i}");
            }

            where.Append(')');
        }

        var sql = $"""
            SELECT r.slug AS {nameof(HitRow.Slug)}, s.version AS {nameof(HitRow.Version)}, s.title::text AS {nameof(HitRow.TitleJson)},
                   s.category AS {nameof(HitRow.Category)}, ts_rank(s.tsv, to_tsquery('simple', @any))::float8 AS {nameof(HitRow.Rank)}
            FROM runbook_search s JOIN runbooks r ON r.id = s.runbook_id
            WHERE {where}
            ORDER BY 5 DESC, s.position, r.slug
            LIMIT @limit
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<HitRow>(new CommandDefinition(sql, parameters, cancellationToken: ct));
        return [.. rows.Select(r => new RunbookSearchHit(r.Slug, r.Version, RunbookJson.Deserialize<LocalizedText>(r.TitleJson), r.Category, r.Rank))];
    }

    private sealed class HitRow
    {
        public string Slug { get; init; } = "";
        public int Version { get; init; }
        public string TitleJson { get; init; } = "";
        public string Category { get; init; } = "";
        public double Rank { get; init; }
    }
}
