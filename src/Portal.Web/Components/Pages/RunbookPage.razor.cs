using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using MudBlazor;
using Portal.Runbooks;
using Portal.Runbooks.Model;
using Portal.Web.Localization;

namespace Portal.Web.Components.Pages;

/// <summary>One runbook: symptoms, diagnostic steps (with the probe each will run) and solutions.</summary>
public sealed partial class RunbookPage
{
    private bool _loading = true;
    private string? _error;

    [Inject] public required IRunbookCatalog Runbooks { get; init; }

    [Inject] public required IStringLocalizer<SharedResource> L { get; init; }

    [Parameter] public required string Slug { get; set; }

    /// <summary>Loaded while prerendering and carried into the interactive render (no flicker, no second load).</summary>
    [PersistentState]
    public RunbookPageData? Data { get; set; }

    private RunbookVersion? _runbook => Data?.Runbook;

    private IReadOnlyList<Category> _categories => Data?.Categories ?? [];

    private Dictionary<string, string> _titles => Data?.Titles ?? [];

    private static string Language => PortalCultures.CurrentLanguage;

    private string Author => _runbook?.Author == Portal.Runbooks.Seed.GuideSeeder.SeedAuthor ? L["Runbook.GuideAuthor"] : _runbook?.Author ?? "";

    private List<BreadcrumbItem> Breadcrumbs =>
    [
        new(L["Nav.Runbooks"], "/"),
        new(_categories.FirstOrDefault(c => c.Key == _runbook?.Content.Category)?.Title.In(Language)
            ?? _runbook?.Content.Category ?? "", href: null, disabled: true),
    ];

    protected override async Task OnParametersSetAsync()
    {
        if (Data?.Slug == Slug)
        {
            _loading = false;
            return;
        }

        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        _loading = true;
        _error = null;
        try
        {
            var runbook = await Runbooks.GetCurrentAsync(Slug);
            Data = new RunbookPageData(
                Slug,
                runbook is { Archived: true } ? null : runbook,
                [.. await Runbooks.ListCategoriesAsync()],
                await LinkedTitlesAsync(runbook));
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
        {
            _error = ex.Message;
        }
        finally
        {
            _loading = false;
        }
    }

    /// <summary>
    /// Titles of the runbooks this one links to, so "see also" reads as names rather than slugs.
    /// Only those few are read, not the whole catalog.
    /// </summary>
    private async Task<Dictionary<string, string>> LinkedTitlesAsync(RunbookVersion? runbook)
    {
        var titles = new Dictionary<string, string>();
        foreach (var slug in runbook?.Content.Solutions.SelectMany(s => s.Links).Distinct() ?? [])
        {
            if (await Runbooks.GetCurrentAsync(slug) is { Archived: false } linked)
            {
                titles[slug] = linked.Content.Title.In(Language);
            }
        }

        return titles;
    }

    public sealed record RunbookPageData(string Slug, RunbookVersion? Runbook, List<Category> Categories, Dictionary<string, string> Titles);
}
