using Dapper;
using Npgsql;
using Portal.Runbooks.Model;
using Portal.Runbooks.Storage;

namespace Portal.Runbooks.Search;

/// <summary>
/// Search over runbook_search (migration 0005), in at most two short queries: pg_trgm finds the
/// indexed words that contain each longer Latin token, then one GIN full-text match ranks hits by
/// their title and symptoms (ts_rank over the small "head" vector), then the catalog order.
/// </summary>
public sealed class PostgresRunbookSearch(NpgsqlDataSource db) : IRunbookSearch
{
    /// <summary>Words per token a part-of-word match may widen to; the token's own prefix always counts too.</summary>
    private const int WordsPerToken = 100;

    public async Task<IReadOnlyList<RunbookSearchHit>> SearchAsync(string? query, int limit = 50, CancellationToken ct = default)
    {
        var parsed = SearchQuery.Parse(query);
        if (parsed.IsEmpty)
        {
            return [];
        }

        await using var connection = await db.OpenConnectionAsync(ct);
        var words = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (parsed.Expandable is { Count: > 0 } tokens)
        {
            const string wordsSql = """
                SELECT t.token AS Token, w.word AS Word
                FROM unnest(@tokens::text[], @patterns::text[]) AS t(token, pattern)
                CROSS JOIN LATERAL (
                    SELECT word FROM runbook_search_words WHERE word LIKE t.pattern ORDER BY length(word), word LIMIT @perToken
                ) AS w
                """;
            var rows = await connection.QueryAsync<(string Token, string Word)>(new CommandDefinition(wordsSql, new
            {
                tokens = tokens.ToArray(),
                patterns = tokens.Select(SearchQuery.ContainsPattern).ToArray(),
                perToken = WordsPerToken,
            }, cancellationToken: ct));
            foreach (var group in rows.GroupBy(r => r.Token, StringComparer.Ordinal))
            {
                words[group.Key] = [.. group.Select(r => r.Word)];
            }
        }

        const string sql = $"""
            SELECT s.slug AS {nameof(HitRow.Slug)}, s.version AS {nameof(HitRow.Version)}, s.title::text AS {nameof(HitRow.TitleJson)},
                   s.category AS {nameof(HitRow.Category)}, ts_rank(s.head, q)::float8 AS {nameof(HitRow.Rank)}
            FROM runbook_search s, CAST(@query AS tsquery) AS q
            WHERE s.tsv @@ q AND NOT s.archived
            ORDER BY 5 DESC, s.position, s.slug
            LIMIT @limit
            """;
        var hits = await connection.QueryAsync<HitRow>(new CommandDefinition(sql, new
        {
            query = parsed.ToTsQuery(words),
            limit = Math.Clamp(limit, 1, 500),
        }, cancellationToken: ct));
        return [.. hits.Select(r => new RunbookSearchHit(r.Slug, r.Version, RunbookJson.Deserialize<LocalizedText>(r.TitleJson), r.Category, r.Rank))];
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
