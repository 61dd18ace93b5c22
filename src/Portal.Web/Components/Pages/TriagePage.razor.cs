using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Localization;
using Portal.Web.Incidents;
using Portal.Web.Inventory;
using Portal.Web.Localization;
using Portal.Web.Triage;

namespace Portal.Web.Components.Pages;

/// <summary>
/// /triage?env=&amp;sweep=: sweep an environment, watch the target-by-check matrix fill, start the walkthrough of a
/// ranked runbook with the sweep's findings. Re-reads the sweep when <see cref="TriageChanges"/> says it changed.
/// </summary>
public sealed partial class TriagePage : IDisposable
{
    private readonly CultureInfo _culture = CultureInfo.CurrentCulture;
    private readonly CultureInfo _uiCulture = CultureInfo.CurrentUICulture;
    private List<string> _environments = [];
    private string? _environment;
    private SweepView? _view;
    private IDisposable? _subscription;
    private Guid? _subscribed;
    private int _refreshQueued;
    private bool _loading = true;
    private bool _starting;
    private string? _error;

    [Inject] public required TriageService Triage { get; init; }

    [Inject] public required TriageChanges Changes { get; init; }

    [Inject] public required InventoryStore Inventory { get; init; }

    [Inject] public required NavigationManager Navigation { get; init; }

    [Inject] public required IStringLocalizer<SharedResource> L { get; init; }

    [CascadingParameter] public Task<AuthenticationState>? Auth { get; set; }

    [SupplyParameterFromQuery(Name = "env")]
    public string? Env { get; set; }

    [SupplyParameterFromQuery(Name = "sweep")]
    public Guid? Sweep { get; set; }

    protected override async Task OnParametersSetAsync()
    {
        _error = null;
        try
        {
            _environments = [.. (await Inventory.ListEnvironmentsAsync()).Select(e => e.Name)];
            _environment ??= Env is { } env && _environments.Contains(env) ? env
                : _environments.Contains("lab") ? "lab" : _environments.FirstOrDefault();
            if (Sweep is { } id && id != _subscribed)
            {
                _subscription?.Dispose();
                _subscribed = id;
                _subscription = Changes.Subscribe(id, OnChanged);
                _view = await Triage.GetAsync(id);
                _environment = _view.Environment;
            }
        }
        catch (TriageException ex)
        {
            _error = ex.Message;
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
        {
            _error = ex.Message;
        }
        finally
        {
            _loading = false;
        }
    }

    private async Task SweepAsync()
    {
        _error = null;
        try
        {
            var id = await Triage.StartAsync(_environment, await UserAsync(), "ui");
            Navigation.NavigateTo($"/triage?env={Uri.EscapeDataString(_environment!)}&sweep={id}");
        }
        catch (TriageException ex)
        {
            _error = ex.Message;
        }
    }

    private async Task StartWalkthroughAsync(SweepSuggestion suggestion)
    {
        if (_view is null || _starting)
        {
            return;
        }

        _starting = true;
        _error = null;
        try
        {
            var started = await Triage.StartWalkthroughAsync(_view.Id, suggestion.Slug, await UserAsync());
            Navigation.NavigateTo(started.Url);
        }
        catch (Exception ex) when (ex is TriageException or IncidentException)
        {
            _error = ex.Message;
        }
        finally
        {
            _starting = false;
        }
    }

    /// <summary>A check ended or the sweep finished. Coalesced: while one re-read is queued, further notices are dropped.</summary>
    private void OnChanged()
    {
        if (Interlocked.Exchange(ref _refreshQueued, 1) == 1)
        {
            return;
        }

        _ = InvokeAsync(async () =>
        {
            CultureInfo.CurrentCulture = _culture;
            CultureInfo.CurrentUICulture = _uiCulture;
            Interlocked.Exchange(ref _refreshQueued, 0);
            try
            {
                if (_subscribed is { } id)
                {
                    _view = await Triage.GetAsync(id);
                    StateHasChanged();
                }
            }
            catch (Exception ex)
            {
                await DispatchExceptionAsync(ex);
            }
        });
    }

    private async Task<string> UserAsync() => (Auth is null ? null : (await Auth).User.Identity?.Name) ?? "anonymous";

    public void Dispose() => _subscription?.Dispose();
}
