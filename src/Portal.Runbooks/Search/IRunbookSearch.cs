using Portal.Runbooks.Model;

namespace Portal.Runbooks.Search;

/// <summary>One runbook that matches a search, best first.</summary>
/// <param name="Rank">Higher is better; only comparable within one answer.</param>
public sealed record RunbookSearchHit(string Slug, int Version, LocalizedText Title, string Category, double Rank);

/// <summary>
/// Searches titles, symptoms, step and solution text in both languages. Every word of the query
/// must match; Chinese matches as a substring. Archived runbooks are left out.
/// </summary>
public interface IRunbookSearch
{
    /// <returns>At most <paramref name="limit"/> hits, best first; empty for a blank query.</returns>
    Task<IReadOnlyList<RunbookSearchHit>> SearchAsync(string? query, int limit = 50, CancellationToken ct = default);
}
