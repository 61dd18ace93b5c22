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
    private RunbookVersion? _runbook;
    private IReadOnlyList<Category> _categories = [];
    private Dictionary<string, string> _titles = [];
    private bool _loading = true;
    private string? _error;

    [Inject] public required IRunbookCatalog Runbooks { get; init; }

    [Inject] public required IStringLocalizer<SharedResource> L { get; init; }

    [Parameter] public required string Slug { get; set; }

    private static string Language => PortalCultures.CurrentLanguage;

    private List<BreadcrumbItem> Breadcrumbs =>
    [
        new(L["Nav.Runbooks"], "/"),
        new(_categories.FirstOrDefault(c => c.Key == _runbook?.Content.Category)?.Title.In(Language)
            ?? _runbook?.Content.Category ?? "", $"/?q=", disabled: true),
    ];

    protected override async Task OnParametersSetAsync() => await LoadAsync();

    private async Task LoadAsync()
    {
        _loading = true;
        _error = null;
        try
        {
            _runbook = await Runbooks.GetCurrentAsync(Slug);
            if (_runbook is { Archived: true })
            {
                _runbook = null;
            }

            _categories = await Runbooks.ListCategoriesAsync();
            // Titles of every runbook, so "see also" links read as names rather than slugs.
            _titles = (await Runbooks.ListCurrentAsync()).ToDictionary(r => r.Slug, r => r.Content.Title.In(Language));
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
}
