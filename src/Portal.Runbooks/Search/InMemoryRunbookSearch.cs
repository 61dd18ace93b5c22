namespace Portal.Runbooks.Search;

/// <summary>
/// The same contract over the catalog in memory (<see cref="RunbookSearch"/>: titles, symptoms and
/// summaries only). Used where no index exists, e.g. component tests, and as a fallback.
/// </summary>
public sealed class InMemoryRunbookSearch(IRunbookCatalog catalog) : IRunbookSearch
{
    public async Task<IReadOnlyList<RunbookSearchHit>> SearchAsync(string? query, int limit = 50, CancellationToken ct = default)
    {
        var terms = RunbookSearch.Terms(query);
        if (terms.Length == 0)
        {
            return [];
        }

        var runbooks = await catalog.ListCurrentAsync(ct: ct);
        return [.. RunbookSearch.Filter(runbooks, query)
            .Take(limit)
            .Select(r => new RunbookSearchHit(r.Slug, r.Version, r.Content.Title, r.Content.Category, RunbookSearch.Score(r.Content, terms)))];
    }
}
