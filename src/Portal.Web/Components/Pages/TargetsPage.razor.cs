using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using MudBlazor;
using Portal.Web.Api;
using Portal.Web.Inventory;
using Portal.Web.Localization;

namespace Portal.Web.Components.Pages;

/// <summary>The target inventory: environments, their targets, and an editor. Passwords are write-only.</summary>
public sealed partial class TargetsPage
{
    private IReadOnlyList<EnvironmentRecord> _environments = [];
    private IReadOnlyList<TargetRecord> _targets = [];
    private string? _environment;
    private string? _loadError;
    private TargetForm? _editing;
    private bool _isNew;
    private bool _editingHasPassword;

    [Inject] public required InventoryStore Inventory { get; init; }

    [Inject] public required IDialogService Dialogs { get; init; }

    [Inject] public required Portal.Web.Auth.AuditLog Audit { get; init; }

    [CascadingParameter] public Task<Microsoft.AspNetCore.Components.Authorization.AuthenticationState>? Auth { get; set; }

    [Inject] public required ISnackbar Snackbar { get; init; }

    [Inject] public required SshStatusService Ssh { get; init; }

    private readonly Dictionary<string, SshStatus?> _ssh = new(StringComparer.Ordinal);

    [Inject] public required Portal.Web.Resilience.TargetBreakers Breakers { get; init; }

    [Inject] public required IStringLocalizer<SharedResource> L { get; init; }

    /// <summary>?env= opens that environment; otherwise "local", otherwise the first.</summary>
    [SupplyParameterFromQuery(Name = "env")]
    public string? Env { get; set; }

    protected override async Task OnInitializedAsync()
    {
        try
        {
            _environments = await Inventory.ListEnvironmentsAsync();
            var start = _environments.FirstOrDefault(e => e.Name == Env)
                        ?? _environments.FirstOrDefault(e => e.Name == LocalEnvironmentSeed.Name)
                        ?? (_environments.Count > 0 ? _environments[0] : null);
            if (start is not null)
            {
                await LoadTargetsAsync(start.Name);
            }
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
        {
            _loadError = ex.Message;
        }
    }

    private async Task LoadTargetsAsync(string environment)
    {
        _environment = environment;
        _editing = null;
        _targets = await Inventory.ListTargetsAsync(environment);
        _ssh.Clear();
    }

    /// <summary>Connects (through the probes' own pool) and shows reachability and the presented key.</summary>
    private async Task CheckSshAsync(TargetRecord target)
    {
        _ssh[target.Name] = null;
        try
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            _ssh[target.Name] = await Ssh.CheckAsync(target.Environment, target.Name, limit.Token);
        }
        catch (OperationCanceledException)
        {
            _ssh.Remove(target.Name);
        }
    }

    /// <summary>The admin action: pin the key the server presents, if it is still the one shown. Audited.</summary>
    private async Task TrustAsync(TargetRecord target, string fingerprint)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync(L["Targets.SshTrust"], L["Targets.SshTrustConfirm", target.Name, fingerprint],
            yesText: L["Targets.SshTrust"], cancelText: L["Targets.Cancel"]);
        if (confirmed != true)
        {
            return;
        }

        var who = Auth is null ? "" : (await Auth).User.Identity?.Name ?? "";
        string presented;
        try
        {
            presented = await Ssh.ScanAsync(target, CancellationToken.None);
        }
        catch (Portal.Probes.Ssh.SshFailureException failure)
        {
            await Audit.WriteAsync(who, "ui", "target.ssh.trust", $"{target.Environment}/{target.Name}", "refused", new { reason = failure.Code });
            Snackbar.Add(failure.Message, Severity.Error);
            return;
        }

        if (!Portal.Probes.Ssh.SshFingerprint.Same(presented, fingerprint))
        {
            await Audit.WriteAsync(who, "ui", "target.ssh.trust", $"{target.Environment}/{target.Name}", "refused", new { wanted = fingerprint, presented });
            Snackbar.Add(L["Targets.SshTrustMismatch", presented], Severity.Error);
            return;
        }

        await Inventory.TrustHostKeyAsync(target.Environment, target.Name, fingerprint);
        await Audit.WriteAsync(who, "ui", "target.ssh.trust", $"{target.Environment}/{target.Name}", "success", new { fingerprint, previous = target.SshHostKey });
        Snackbar.Add(L["Targets.SshTrusted", fingerprint], Severity.Success);
        await LoadTargetsAsync(target.Environment);
        var trusted = _targets.FirstOrDefault(t => t.Name == target.Name);
        if (trusted is not null)
        {
            await CheckSshAsync(trusted);
        }
    }

    private void StartAdd()
    {
        _isNew = true;
        _editingHasPassword = false;
        _editing = new TargetForm { Kind = "http", AllowLoopback = false };
    }

    private void StartEdit(TargetRecord target)
    {
        _isNew = false;
        _editingHasPassword = target.HasPassword;
        _editing = TargetForm.From(target);
    }

    private async Task OnSavedAsync((string Environment, string Name) saved)
    {
        Snackbar.Add(L["Targets.Saved", saved.Name], Severity.Success);
        _environments = await Inventory.ListEnvironmentsAsync();
        await LoadTargetsAsync(saved.Environment);
    }

    private async Task DeleteAsync(TargetRecord target)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync(L["Targets.Delete"], L["Targets.ConfirmDelete", target.Name],
            yesText: L["Targets.Delete"], cancelText: L["Targets.Cancel"]);
        if (confirmed != true)
        {
            return;
        }

        try
        {
            var deleted = await Inventory.DeleteTargetAsync(target.Environment, target.Name);
            await Breakers.ResetAsync(target.Environment, target.Name);
            var who = Auth is null ? "" : (await Auth).User.Identity?.Name ?? "";
            await Audit.WriteAsync(who, "ui", "target.delete", $"{target.Environment}/{target.Name}", deleted ? "success" : "not found");
            Snackbar.Add(L["Targets.Deleted", target.Name], Severity.Success);
            await LoadTargetsAsync(target.Environment);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
        {
            Snackbar.Add(L["Targets.LoadFailed", ex.Message], Severity.Error);
        }
    }

    private async Task RefreshAsync()
    {
        if (_environment is not null)
        {
            await LoadTargetsAsync(_environment);
        }
    }

    private static string Address(TargetRecord t) =>
        t.BaseUrl ?? (t.Host is null ? "" : t.Port is null ? t.Host : $"{t.Host}:{t.Port}") + (t.Database is null ? "" : $"/{t.Database}");
}

/// <summary>The editor's working copy; lists are edited as one item per line.</summary>
public sealed class TargetForm
{
    public string Name { get; set; } = "";
    public string Role { get; set; } = "";
    public string Kind { get; set; } = "http";
    public string? Host { get; set; }
    public int? Port { get; set; }
    public string? BaseUrl { get; set; }
    public string? Database { get; set; }
    public string? Username { get; set; }
    public string? Password { get; set; }
    public bool ClearPassword { get; set; }
    public bool UseTls { get; set; }
    public string LogPaths { get; set; } = "";
    public string Units { get; set; } = "";
    public bool AllowLoopback { get; set; }
    public bool AllowPrivate { get; set; }
    public string? SshHost { get; set; }
    public int? SshPort { get; set; }
    public string? SshUser { get; set; }

    /// <summary>Write-only: empty keeps the stored key unless <see cref="ClearSshKey"/>.</summary>
    public string? SshPrivateKey { get; set; }
    public bool ClearSshKey { get; set; }
    public bool HasSshKey { get; set; }

    public static TargetForm From(TargetRecord t) => new()
    {
        SshHost = t.SshHost, SshPort = t.SshPort, SshUser = t.SshUser, HasSshKey = t.HasSshKey,
        Name = t.Name, Role = t.Role, Kind = InventoryStore.KindName(t.Kind), Host = t.Host, Port = t.Port, BaseUrl = t.BaseUrl,
        Database = t.Database, Username = t.Username, UseTls = t.UseTls, LogPaths = string.Join('\n', t.LogPaths),
        Units = string.Join('\n', t.Units), AllowLoopback = t.AllowLoopback, AllowPrivate = t.AllowPrivate,
    };

    /// <summary>What the API would receive: empty password keeps the stored one unless asked to remove it.</summary>
    public TargetInput ToInput() => new(
        Role, Kind, Host, Port, BaseUrl, Database, Username,
        ClearPassword ? "" : string.IsNullOrEmpty(Password) ? null : Password,
        UseTls, Lines(LogPaths), Lines(Units), AllowLoopback, AllowPrivate,
        SshHost, SshPort, SshUser, ClearSshKey ? "" : string.IsNullOrEmpty(SshPrivateKey) ? null : SshPrivateKey.Replace("\r\n", "\n", StringComparison.Ordinal));

    private static List<string> Lines(string text) =>
        [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
}
