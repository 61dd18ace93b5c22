using Portal.Runbooks.Model;

namespace Portal.Runbooks.Search;

/// <summary>
/// Symptom search for the catalog: every word of the query must occur in the runbook's title,
/// symptoms or summary, in any language. Plain substring matching, so Chinese needs no word
/// segmentation ("端口" finds "端口占用错误"). Title hits rank above symptom hits above summary hits.
/// </summary>
public static class RunbookSearch
{
    private const int TitleWeight = 10;
    private const int SymptomWeight = 4;
    private const int SummaryWeight = 1;

    public static IReadOnlyList<RunbookVersion> Filter(IEnumerable<RunbookVersion> runbooks, string? query) =>
        Filter(runbooks, r => r.Content, query);

    /// <summary>The same search over anything that carries runbook content (e.g. a catalog summary).</summary>
    public static IReadOnlyList<T> Filter<T>(IEnumerable<T> items, Func<T, RunbookContent> content, string? query)
    {
        var terms = Terms(query);
        if (terms.Length == 0)
        {
            return [.. items];
        }

        return [.. items
            .Select(item => (Item: item, Score: Score(content(item), terms)))
            .Where(x => x.Score > 0)
            .OrderByDescending(x => x.Score)
            .ThenBy(x => content(x.Item).Position)
            .Select(x => x.Item)];
    }

    /// <summary>0 when some term matches nowhere; otherwise higher is a better match.</summary>
    public static int Score(RunbookContent content, IReadOnlyCollection<string> terms)
    {
        var total = 0;
        foreach (var term in terms)
        {
            var score = (content.Title.Contains(term) ? TitleWeight : 0)
                        + content.Symptoms.Count(s => s.Contains(term)) * SymptomWeight
                        + (content.Summary.Contains(term) ? SummaryWeight : 0);
            if (score == 0)
            {
                return 0;
            }

            total += score;
        }

        return total;
    }

    public static string[] Terms(string? query) =>
        string.IsNullOrWhiteSpace(query)
            ? []
            : query.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
