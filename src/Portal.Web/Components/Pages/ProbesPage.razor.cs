using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using Portal.Probes;
using Portal.Probes.Contract;
using Portal.Web.Inventory;
using Portal.Web.Localization;
using Portal.Web.Runs;

namespace Portal.Web.Components.Pages;

/// <summary>Run any probe by hand against an inventory target and watch it live. ?run={id} reopens a run.</summary>
public sealed partial class ProbesPage
{
    private IReadOnlyList<EnvironmentRecord> _environments = [];
    private IReadOnlyList<TargetRecord> _targets = [];
    private IReadOnlyList<ProbeDescriptor> _probes = [];
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);
    private Dictionary<string, string> _errors = [];
    private string? _environment;
    private string? _kind;
    private string? _target;
    private string? _runTitle;
    private string? _loadError;
    private bool _starting;

    [Inject] public required ProbeCatalog Catalog { get; init; }

    [Inject] public required InventoryStore Inventory { get; init; }

    [Inject] public required ProbeRunner Runner { get; init; }

    [Inject] public required NavigationManager Navigation { get; init; }

    [Inject] public required RunStore Runs { get; init; }

    [Inject] public required IStringLocalizer<SharedResource> L { get; init; }

    [CascadingParameter] public Task<Microsoft.AspNetCore.Components.Authorization.AuthenticationState>? Auth { get; set; }

    [SupplyParameterFromQuery(Name = "run")]
    public Guid? RunId { get; set; }

    private static bool IsChinese => PortalCultures.CurrentLanguage == Portal.Runbooks.Model.Languages.Chinese;

    private ProbeDescriptor? Selected => _probes.FirstOrDefault(p => p.Kind == _kind);

    private IEnumerable<TargetRecord> FittingTargets => Selected is { } probe
        ? _targets.Where(t => probe.TargetKinds.Contains(t.Kind) || probe.TargetKinds.Contains(TargetKind.Host))
        : _targets;

    protected override async Task OnInitializedAsync()
    {
        _probes = [.. Catalog.Descriptors];
        try
        {
            _environments = await Inventory.ListEnvironmentsAsync();
            if (_environments.Count > 0)
            {
                await OnEnvironmentChangedAsync(_environments[0].Name);
            }
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
        {
            _loadError = ex.Message;
        }
    }

    /// <summary>Reopened with ?run=: show what that run was, not whatever the form defaults to.</summary>
    protected override async Task OnParametersSetAsync()
    {
        if (RunId is not { } runId || _runTitle is not null || _loadError is not null)
        {
            return;
        }

        if (await Runs.GetAsync(runId, CancellationToken.None) is { } run)
        {
            if (_environments.Any(e => e.Name == run.Environment))
            {
                await OnEnvironmentChangedAsync(run.Environment);
            }

            _kind = run.Kind;
            _target = run.Target;
            _runTitle = $"{run.Kind} → {run.Environment}/{run.Target}";
        }
    }

    private async Task OnEnvironmentChangedAsync(string environment)
    {
        _environment = environment;
        _targets = await Inventory.ListTargetsAsync(environment);
        _target = FittingTargets.FirstOrDefault()?.Name;
    }

    private void OnKindChanged(string kind)
    {
        _kind = kind;
        _values.Clear();
        _errors = [];
        if (_target is null || FittingTargets.All(t => t.Name != _target))
        {
            _target = FittingTargets.FirstOrDefault()?.Name;
        }
    }

    private async Task RunAsync()
    {
        if (_starting || _kind is null || _environment is null || _target is null)
        {
            return; // one click starts one run
        }

        _starting = true;
        try
        {
            var user = Auth is null ? null : (await Auth).User.Identity?.Name;
            var result = await Runner.StartAsync(
                new RunRequest(_kind, _environment, _target, new Dictionary<string, string?>(_values)), user ?? "anonymous", "ui", CancellationToken.None);
            _errors = result.Errors.ToDictionary(e => e.Key, e => e.Value);
            if (result.RunId is { } runId)
            {
                _runTitle = $"{_kind} → {_environment}/{_target}";
                Navigation.NavigateTo(Navigation.GetUriWithQueryParameter("run", runId), replace: true);
            }
        }
        finally
        {
            _starting = false;
        }
    }
}
