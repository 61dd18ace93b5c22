using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using Portal.Runbooks.Model;
using Portal.Runbooks.Storage;
using Portal.Web.Components.Walkthrough;
using Portal.Web.Incidents;
using Portal.Web.Localization;

namespace Portal.Web.Components.Pages;

/// <summary>Open and recent incidents, newest first, filtered by status (?status=open|resolved|abandoned|all).</summary>
public sealed partial class IncidentsPage
{
    private const string AllFilter = "all";
    private static readonly string[] Filters = [IncidentStatus.Open, IncidentStatus.Resolved, IncidentStatus.Abandoned, AllFilter];

    private List<IncidentRow> _rows = [];
    private bool _loading = true;
    private string? _error;

    [Inject] public required WalkthroughService Walkthroughs { get; init; }

    [Inject] public required Resilience.SnapshotRunbookCatalog Runbooks { get; init; }

    [Inject] public required NavigationManager Navigation { get; init; }

    [Inject] public required IStringLocalizer<SharedResource> L { get; init; }

    [SupplyParameterFromQuery(Name = "status")]
    public string? Status { get; set; }

    private string Filter => Status is { } s && Filters.Contains(s) ? s : AllFilter;

    private static string Language => PortalCultures.CurrentLanguage;

    protected override Task OnParametersSetAsync() => LoadAsync();

    private void OnFilterChanged(string filter) =>
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameter("status", filter == AllFilter ? null : filter), replace: true);

    private async Task LoadAsync()
    {
        _loading = true;
        _error = null;
        try
        {
            var incidents = await Walkthroughs.ListAsync(Filter == AllFilter ? null : Filter);
            // Each pinned runbook version once: its title and the name of the step the incident is at.
            var contents = new Dictionary<(string, int), RunbookContent?>();
            var rows = new List<IncidentRow>(incidents.Count);
            foreach (var i in incidents)
            {
                if (!contents.TryGetValue((i.RunbookSlug, i.RunbookVersion), out var content))
                {
                    content = (await Runbooks.GetVersionAsync(i.RunbookSlug, i.RunbookVersion))?.Content;
                    contents[(i.RunbookSlug, i.RunbookVersion)] = content;
                }

                rows.Add(new IncidentRow(
                    i,
                    content?.Title.In(Language) ?? i.Title,
                    content is null ? i.Position : WalkthroughText.Describe(content, i.Position, Language)));
            }

            _rows = rows;
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or IncidentException)
        {
            _error = ex.Message;
        }
        finally
        {
            _loading = false;
        }
    }

    private sealed record IncidentRow(IncidentRecord Incident, string RunbookTitle, string Position);
}
