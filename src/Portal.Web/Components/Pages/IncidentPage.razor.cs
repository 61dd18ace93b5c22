using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Localization;
using MudBlazor;
using Portal.Runbooks;
using Portal.Runbooks.Engine;
using Portal.Runbooks.Model;
using Portal.Web.Auth;
using Portal.Web.Components.Walkthrough;
using Portal.Web.Incidents;
using Portal.Web.Localization;

namespace Portal.Web.Components.Pages;

/// <summary>
/// One incident (a walkthrough): the shell that reads the state, acts through <see cref="WalkthroughService"/>
/// and re-reads when anyone changes the incident (<see cref="IncidentChanges"/>). It is present on the incident
/// (<see cref="IIncidentPresence"/>) while shown. Everyone watches and adds notes; the driver acts; responders may
/// ask for or take control. The panels it hosts only show data and raise events.
/// </summary>
public sealed partial class IncidentPage : IDisposable
{
    private readonly HashSet<Guid> _shownRuns = [];
    private IncidentView? _view;
    private Dictionary<string, StepRun> _runs = new(StringComparer.Ordinal);
    private Dictionary<string, string> _titles = [];
    private IDisposable? _subscription;
    private IDisposable? _presence;
    private IDisposable? _presenceChanges;
    private int _presenceQueued;
    private Guid _subscribed;
    private string _user = "anonymous";
    private string? _error;
    private string? _refusedInput;
    private bool _loading = true;
    private bool _notFound;
    private bool _canDrive;
    private bool _busy;
    private int _refreshQueued;
    private long _loadTicket;
    private CultureInfo _culture = CultureInfo.CurrentCulture;
    private CultureInfo _uiCulture = CultureInfo.CurrentUICulture;

    [Inject] public required WalkthroughService Walkthroughs { get; init; }

    [Inject] public required IncidentChanges Changes { get; init; }

    [Inject] public required IIncidentPresence Presence { get; init; }

    [Inject] public required IRunbookCatalog Runbooks { get; init; }

    [Inject] public required ISnackbar Snackbar { get; init; }

    [Inject] public required IStringLocalizer<SharedResource> L { get; init; }

    [CascadingParameter] public Task<AuthenticationState>? Auth { get; set; }

    [Parameter] public Guid Id { get; set; }

    private static string Language => PortalCultures.CurrentLanguage;

    /// <summary>This user drives this open incident: the step, recommendation and solution panels act.</summary>
    private bool Driving => _canDrive && _view is { Incident: { IsOpen: true } i } && i.IsDrivenBy(_user);

    private List<BreadcrumbItem> Breadcrumbs =>
    [
        new(L["Nav.Incidents"], "/incidents"),
        new(_view is { } v ? $"{v.Content.Title.In(Language)} ({v.Incident.Environment})" : Id.ToString(), href: null, disabled: true),
    ];

    /// <summary>Probe runs of steps other than the current one, newest step last.</summary>
    private IEnumerable<KeyValuePair<string, StepRun>> EarlierRuns =>
        _runs.Where(r => _view is null || _view.CurrentStep?.Id != r.Key);

    protected override async Task OnInitializedAsync()
    {
        _culture = CultureInfo.CurrentCulture;
        _uiCulture = CultureInfo.CurrentUICulture;
        if (Auth is not null)
        {
            var user = (await Auth).User;
            _user = user.Identity?.Name ?? _user;
            _canDrive = PortalRoles.Rank(user) >= PortalRoles.Rank(PortalRoles.Responder);
        }

        try
        {
            _titles = (await Runbooks.ListCurrentAsync()).ToDictionary(r => r.Slug, r => r.Content.Title.In(Language));
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
        {
            // Related runbook links then read as slugs; the incident itself still loads below.
        }
    }

    protected override async Task OnParametersSetAsync()
    {
        if (_subscribed == Id)
        {
            return;
        }

        // A new incident: stop listening to the old one, listen to this one before reading it (no change is missed).
        _subscription?.Dispose();
        _presenceChanges?.Dispose();
        _presence?.Dispose();
        _subscribed = Id;
        _subscription = Changes.Subscribe(Id, OnChanged);
        _presenceChanges = Presence.Subscribe(Id, OnPresenceChanged);
        // Prerendering is a page that is sent and gone: only the interactive page counts as someone viewing.
        _presence = RendererInfo.IsInteractive ? Presence.Join(Id, _user, _canDrive) : null;
        _view = null;
        _loading = true;
        await LoadAsync();
    }

    /// <summary>Someone changed the incident. Coalesced: while one re-read is queued, further notices are dropped.</summary>
    private void OnChanged(long seq)
    {
        if (Interlocked.Exchange(ref _refreshQueued, 1) == 1)
        {
            return;
        }

        _ = InvokeAsync(async () =>
        {
            // The notice comes on the thread (and culture) of whoever made the change: render in this viewer's language.
            CultureInfo.CurrentCulture = _culture;
            CultureInfo.CurrentUICulture = _uiCulture;
            Interlocked.Exchange(ref _refreshQueued, 0);
            try
            {
                await LoadAsync();
                StateHasChanged();
            }
            catch (Exception ex)
            {
                await DispatchExceptionAsync(ex);
            }
        });
    }

    /// <summary>Someone came or went: render again (the viewers are read while rendering). Coalesced like OnChanged.</summary>
    private void OnPresenceChanged()
    {
        if (Interlocked.Exchange(ref _presenceQueued, 1) == 1)
        {
            return;
        }

        _ = InvokeAsync(() =>
        {
            Interlocked.Exchange(ref _presenceQueued, 0);
            StateHasChanged();
        });
    }

    private async Task RetryAsync()
    {
        _loading = _view is null;
        await LoadAsync();
    }

    /// <summary>Reads the incident. Only the newest of overlapping reads is applied.</summary>
    private async Task LoadAsync()
    {
        var ticket = Interlocked.Increment(ref _loadTicket);
        try
        {
            var view = await Walkthroughs.GetAsync(Id);
            if (ticket != Interlocked.Read(ref _loadTicket))
            {
                return;
            }

            _view = view;
            _runs = WalkthroughText.LastRuns(view.Timeline);
            _notFound = false;
            _error = null;
        }
        catch (IncidentException ex) when (ex.Kind == IncidentErrorKind.NotFound)
        {
            _notFound = true;
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

    /// <summary>Runs one action; a refusal is shown and nothing changes. The state is read again either way.</summary>
    private async Task ActAsync(Func<Task> action)
    {
        if (_busy)
        {
            return; // one click, one action
        }

        _busy = true;
        try
        {
            await action();
        }
        catch (IncidentException ex)
        {
            Snackbar.Add(L["Incident.Refused", ex.Message], Severity.Error);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
        {
            Snackbar.Add(L["Incident.ActionFailed", ex.Message], Severity.Error);
        }
        finally
        {
            _busy = false;
            await LoadAsync();
        }
    }

    private Task TickAsync(ChecklistTick tick) =>
        ActAsync(() => Walkthroughs.TickChecklistAsync(Id, _view!.CurrentStep!.Id, tick.Index, tick.Done, _user));

    private async Task SubmitInputAsync(string value)
    {
        var stepId = _view!.CurrentStep!.Id;
        _refusedInput = null;
        await ActAsync(async () =>
        {
            try
            {
                await Walkthroughs.SubmitInputAsync(Id, stepId, value, _user);
            }
            catch (IncidentException ex) when (ex.Field == "value")
            {
                _refusedInput = ex.Message;
                throw;
            }
        });
    }

    private Task RunAsync() => ActAsync(() => Walkthroughs.RunStepAsync(Id, _view!.CurrentStep!.Id, _user));

    private Task ChooseAsync(string target) => ActAsync(() => Walkthroughs.ChooseAsync(Id, target, _user));

    private Task ResolveAsync(string? summary) => ActAsync(() => Walkthroughs.ResolveAsync(Id, _user, summary));

    private Task AbandonAsync(string? summary) => ActAsync(() => Walkthroughs.AbandonAsync(Id, _user, summary));

    private Task TakeControlAsync() => ActAsync(() => Walkthroughs.TakeControlAsync(Id, _user, "ui"));

    private Task RequestControlAsync() => ActAsync(() => Walkthroughs.RequestControlAsync(Id, _user));

    private Task HandOverAsync(string to) => ActAsync(() => Walkthroughs.HandOverAsync(Id, to, _user, "ui"));

    private async Task<bool> AddNoteAsync(string text)
    {
        // Notes do not wait for another action and are open to viewers and on closed incidents.
        try
        {
            await Walkthroughs.AddNoteAsync(Id, text, _user);
            await LoadAsync();
            return true;
        }
        catch (IncidentException ex)
        {
            Snackbar.Add(L["Incident.Refused", ex.Message], Severity.Error);
            return false;
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
        {
            Snackbar.Add(L["Incident.ActionFailed", ex.Message], Severity.Error);
            return false;
        }
    }

    private void ToggleRun(Guid runId)
    {
        if (!_shownRuns.Remove(runId))
        {
            _shownRuns.Add(runId);
        }
    }

    private List<string> MissingInputs(RunbookStep step) =>
        step.Probe is { } call && _view is { } v
            ? [.. WalkthroughEngine.ResolveParameters(v.Content, call, v.Incident.Inputs).Missing.Select(m => m.Name)]
            : [];

    private string? WaitingHint(RunbookStep step) => step.Kind switch
    {
        StepKind.Probe when _runs.GetValueOrDefault(step.Id)?.Status == "running" => L["Incident.WaitingForRun"].Value,
        StepKind.Probe => L["Incident.RunFirst"].Value,
        StepKind.Input => L["Incident.InputFirst"].Value,
        StepKind.Decision => L["Incident.DecisionHint"].Value,
        _ => null,
    };

    public void Dispose()
    {
        _subscription?.Dispose();
        _presenceChanges?.Dispose();
        _presence?.Dispose();
    }
}
