using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using Portal.Runbooks;
using Portal.Runbooks.Model;
using Portal.Runbooks.Search;
using Portal.Web.Components.Runbooks;
using Portal.Web.Localization;

namespace Portal.Web.Components.Pages;

/// <summary>The runbook catalog: every runbook grouped by category, filtered by a symptom search.</summary>
public sealed partial class Catalog
{
    private string? _error;
    private string? _search;
    private string? _appliedQuery;

    [Inject] public required IRunbookCatalog Runbooks { get; init; }

    [Inject] public required IRunbookSearch Search { get; init; }

    [Inject] public required IStringLocalizer<SharedResource> L { get; init; }

    [Inject] public required NavigationManager Navigation { get; init; }

    /// <summary>The search as it appears in the address bar (?q=), so a search can be shared.</summary>
    [SupplyParameterFromQuery(Name = "q")]
    public string? Query { get; set; }

    /// <summary>
    /// Loaded while prerendering and carried into the interactive render, so the page does not
    /// blank out and load again when the circuit starts.
    /// </summary>
    [PersistentState]
    public CatalogData? Data { get; set; }

    private IReadOnlyList<Category> Categories => Data?.Categories ?? [];

    private IReadOnlyList<CatalogEntry>? AllRunbooks => Data?.Runbooks;

    private static string Language => PortalCultures.CurrentLanguage;

    private bool IsSearching => RunbookSearch.Terms(_search).Length > 0;

    private IReadOnlyList<CatalogGroup> Groups { get; set; } = [];

    /// <summary>Slugs matching the search, best first (PostgreSQL search); null when not searching.</summary>
    private IReadOnlyList<string>? _ranked;

    protected override async Task OnInitializedAsync()
    {
        if (Data is null)
        {
            await LoadAsync();
        }
        else
        {
            await RankAsync();
        }
    }

    protected override async Task OnParametersSetAsync()
    {
        if (Query != _appliedQuery)
        {
            _appliedQuery = Query;
            _search = Query;
            await RankAsync();
        }
    }

    private async Task LoadAsync()
    {
        _error = null;
        try
        {
            Data = new CatalogData([.. await Runbooks.ListCategoriesAsync()], [.. (await Runbooks.ListCurrentAsync()).Select(CatalogEntry.From)]);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
        {
            _error = ex.Message;
        }

        await RankAsync();
    }

    private async Task OnSearchChanged(string? value)
    {
        _search = value;
        _appliedQuery = string.IsNullOrWhiteSpace(value) ? null : value;
        await RankAsync();
        // Keep the address bar in step without a new history entry per keystroke.
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameter("q", _appliedQuery), replace: true);
    }

    /// <summary>
    /// Asks the full search (titles, symptoms, steps and solutions, ranked); when it cannot answer,
    /// the page still filters what it already holds (titles, symptoms, summaries) instead of failing.
    /// </summary>
    private async Task RankAsync()
    {
        _ranked = null;
        if (IsSearching && AllRunbooks is not null)
        {
            try
            {
                _ranked = [.. (await Search.SearchAsync(_search, 200)).Select(h => h.Slug)];
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
            {
                _ranked = null;
            }
        }

        Regroup();
    }

    private void Regroup()
    {
        if (AllRunbooks is null)
        {
            Groups = [];
            return;
        }

        var matches = _ranked is null
            ? RunbookSearch.Filter(AllRunbooks, r => r.Content, _search)
            : [.. _ranked.Select(slug => AllRunbooks.FirstOrDefault(r => r.Slug == slug)).OfType<CatalogEntry>()];
        Groups = [.. Categories
            .Select(c => new CatalogGroup(c, [.. matches.Where(r => r.Content.Category == c.Key)]))
            .Concat(Uncategorised(matches))
            .Where(g => g.Runbooks.Count > 0)];
    }

    /// <summary>Runbooks whose category is not (yet) defined still show, under their category key.</summary>
    private IEnumerable<CatalogGroup> Uncategorised(IReadOnlyList<CatalogEntry> matches) =>
        matches.Where(r => Categories.All(c => c.Key != r.Content.Category))
            .GroupBy(r => r.Content.Category)
            .Select(g => new CatalogGroup(
                new Category(g.Key, int.MaxValue, LocalizedText.Of(g.Key, g.Key)), [.. g]));

    private sealed record CatalogGroup(Category Category, IReadOnlyList<CatalogEntry> Runbooks);

    /// <summary>
    /// Kept small on purpose: it travels in the page and back over the circuit when it starts,
    /// and SignalR's default 32 KB message limit applies. Steps and solutions are only counted.
    /// </summary>
    public sealed record CatalogData(List<Category> Categories, List<CatalogEntry> Runbooks);
}
