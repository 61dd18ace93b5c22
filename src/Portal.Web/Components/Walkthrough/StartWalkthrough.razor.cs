using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Localization;
using MudBlazor;
using Portal.Web.Incidents;
using Portal.Web.Inventory;
using Portal.Web.Localization;

namespace Portal.Web.Components.Walkthrough;

/// <summary>Starts a walkthrough of one runbook in the chosen environment and opens the incident.</summary>
public sealed partial class StartWalkthrough
{
    public const string DefaultEnvironment = "local";

    private IReadOnlyList<EnvironmentRecord> _environments = [];
    private string? _environment;
    private string? _loadError;
    private string? _startError;
    private bool _starting;

    [Inject] public required InventoryStore Inventory { get; init; }

    [Inject] public required WalkthroughService Walkthroughs { get; init; }

    [Inject] public required NavigationManager Navigation { get; init; }

    [Inject] public required ISnackbar Snackbar { get; init; }

    [Inject] public required IStringLocalizer<SharedResource> L { get; init; }

    [CascadingParameter] public Task<AuthenticationState>? Auth { get; set; }

    [Parameter, EditorRequired] public required string Slug { get; set; }

    protected override Task OnInitializedAsync() => LoadAsync();

    private async Task LoadAsync()
    {
        _loadError = null;
        try
        {
            _environments = await Inventory.ListEnvironmentsAsync();
            _environment = _environments.FirstOrDefault(e => e.Name == DefaultEnvironment)?.Name ?? (_environments.Count > 0 ? _environments[0].Name : null);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
        {
            _loadError = ex.Message;
        }
    }

    private async Task StartAsync()
    {
        if (_starting || _environment is null)
        {
            return; // one click starts one walkthrough
        }

        _starting = true;
        _startError = null;
        try
        {
            var user = Auth is null ? null : (await Auth).User.Identity?.Name;
            var started = await Walkthroughs.StartAsync(Slug, _environment, user ?? "anonymous");
            if (started.Warnings.Count > 0)
            {
                // The incident page shows the unbound roles too; this says it at the moment it matters.
                Snackbar.Add(L["Incident.StartedWithWarnings", started.Warnings.Count], Severity.Warning);
            }

            Navigation.NavigateTo(started.Url);
        }
        catch (IncidentException ex)
        {
            _startError = ex.Message;
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
        {
            _startError = ex.Message;
        }
        finally
        {
            _starting = false;
        }
    }
}
