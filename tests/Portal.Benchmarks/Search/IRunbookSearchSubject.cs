using System.Net.Http.Json;
using System.Text.Json;
using Portal.Runbooks;
using Portal.Runbooks.Search;

namespace Portal.Benchmarks.Search;

/// <summary>
/// The search being measured, behind one small interface so the benchmark does not care how it is
/// done. Today: the catalog read from PostgreSQL and filtered in memory (RunbookSearch.Filter).
/// When the PostgreSQL search (issue 5) lands, add a subject for it in <see cref="SearchSubjects.Create"/>.
/// </summary>
public interface IRunbookSearchSubject
{
    string Name { get; }

    /// <summary>Runs one query; returns how many runbooks matched (so the work cannot be skipped).</summary>
    Task<int> SearchAsync(string query, CancellationToken ct);
}

public static class SearchSubjects
{
    /// <summary>Every search implementation to time. Point this at the new search after the merge.</summary>
    public static IReadOnlyList<IRunbookSearchSubject> Create(IRunbookCatalog catalog, HttpClient api) =>
    [
        new CatalogFilterSearch(catalog),
        new ApiSearch(api),
    ];
}

/// <summary>What the API and the catalog page do now: every current runbook from the store, then the in-memory filter.</summary>
public sealed class CatalogFilterSearch(IRunbookCatalog catalog) : IRunbookSearchSubject
{
    public string Name => "IRunbookCatalog.ListCurrentAsync + RunbookSearch.Filter (in process)";

    public async Task<int> SearchAsync(string query, CancellationToken ct) =>
        RunbookSearch.Filter(await catalog.ListCurrentAsync(ct: ct), query).Count;
}

/// <summary>GET /api/runbooks?q= through HTTP: the same search plus serialization, as a client sees it.</summary>
public sealed class ApiSearch(HttpClient api) : IRunbookSearchSubject
{
    public string Name => "GET /api/runbooks?q= (HTTP)";

    public async Task<int> SearchAsync(string query, CancellationToken ct) =>
        (await api.GetFromJsonAsync<JsonElement>($"/api/runbooks?lang=en&q={Uri.EscapeDataString(query)}", ct)).GetArrayLength();
}
