using System.Diagnostics;
using System.Runtime.CompilerServices;
using Portal.Probes.Contract;

namespace Portal.Probes.Probes.Host;

/// <summary>
/// What <c>systemctl status UNIT</c> tells, as facts: load/active/sub state, main pid, since when,
/// restart count and the last exit status, from <c>systemctl show</c>. Active passes; activating or
/// reloading warns; inactive, failed or not installed fails. Where systemd is not PID 1 it says so.
/// </summary>
public sealed class SystemdUnitProbe : IProbe
{
    private static readonly string[] Properties =
        ["LoadState", "ActiveState", "SubState", "MainPID", "ExecMainStartTimestamp", "NRestarts", "ExecMainStatus", "ExecMainCode", "Result", "UnitFileState"];

    private readonly IHostAccessProvider _hosts;

    public SystemdUnitProbe()
        : this(HostAccessProvider.Default)
    {
    }

    public SystemdUnitProbe(IHostAccessProvider hosts) => _hosts = hosts;

    internal SystemdUnitProbe(HostAccess host)
        : this(HostAccessProvider.Fixed(host))
    {
    }

    public ProbeDescriptor Descriptor { get; } = new(
        Kind: "systemd.unit",
        Title: "systemd unit status",
        TitleZh: "systemd 服务状态",
        Description: "Reports a systemd unit's load, active and sub state, main pid, start time, restart count and last exit status.",
        TargetKinds: [TargetKind.Host, TargetKind.Http, TargetKind.Postgres, TargetKind.Redis, TargetKind.Prometheus],
        Parameters:
        [
            new ProbeParameter("unit", ParameterType.String, "The unit, e.g. platform-api; must be one of the target's units when it lists any.", Required: true, Pattern: Systemd.UnitPattern, MaxLength: 128),
        ],
        DefaultTimeout: TimeSpan.FromSeconds(15),
        MaxTimeout: TimeSpan.FromSeconds(60));

    public async IAsyncEnumerable<ProbeEvent> RunAsync(ProbeRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        var unit = request.Get("unit");
        using var lease = await _hosts.AcquireAsync(request.Target, mustBeHere: true, ct);
        if (lease.Access is not { } host)
        {
            foreach (var refusal in lease.RefusalEvents($"Cannot inspect {unit}"))
            {
                yield return refusal;
            }

            yield break;
        }

        if (Systemd.WhyNotAllowed(unit, request.Target) is { } refused)
        {
            yield return new Verdict(VerdictStatus.Error, $"Cannot inspect {unit}: {refused}.");
            yield break;
        }

        if (!Systemd.IsRunning(host.Files) || host.Commands.Find("systemctl") is null)
        {
            yield return new Finding("systemd.available", "false");
            yield return new OutputLine("/run/systemd/system does not exist: systemd is not the init system (PID 1) of this machine.", OutputStream.Stderr);
            yield return new Verdict(VerdictStatus.Error, "systemd is not running here, so there are no units to inspect; look at the process itself (process.inspect, port.owner).");
            yield break;
        }

        yield return new Finding("systemd.available", "true");
        string[] arguments = ["show", unit, "--property=" + string.Join(',', Properties), "--no-pager"];
        yield return new OutputLine("systemctl " + string.Join(' ', arguments), OutputStream.Info);
        var watch = Stopwatch.StartNew();
        var (result, error) = await RunAsync(host, arguments, ct);
        yield return new Metric("systemctl_ms", watch.Elapsed.TotalMilliseconds, "ms");
        if (result is null || result.ExitCode != 0)
        {
            var why = error ?? (result!.TimedOut ? "timed out" : Truncate(result.Stderr.Trim(), 300));
            yield return new Verdict(VerdictStatus.Error, $"systemctl show {unit} failed: {why}");
            yield break;
        }

        foreach (var e in Report(unit, Parse(result.Stdout)))
        {
            yield return e;
        }
    }

    internal static IReadOnlyDictionary<string, string> Parse(string output)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n'))
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                values[line[..eq]] = line[(eq + 1)..].Trim();
            }
        }

        return values;
    }

    internal static IEnumerable<ProbeEvent> Report(string unit, IReadOnlyDictionary<string, string> p)
    {
        var load = p.GetValueOrDefault("LoadState") ?? "unknown";
        var active = p.GetValueOrDefault("ActiveState") ?? "unknown";
        var sub = p.GetValueOrDefault("SubState") ?? "unknown";
        var pid = p.GetValueOrDefault("MainPID") ?? "0";
        var since = p.GetValueOrDefault("ExecMainStartTimestamp") ?? string.Empty;
        var restarts = p.GetValueOrDefault("NRestarts") ?? "0";
        var exitStatus = p.GetValueOrDefault("ExecMainStatus") ?? "0";
        var result = p.GetValueOrDefault("Result") ?? string.Empty;

        yield return new OutputLine($"● {unit} - loaded: {load} ({p.GetValueOrDefault("UnitFileState") ?? "?"}), active: {active} ({sub})");
        yield return new OutputLine($"  main pid {pid}, since {(since.Length > 0 ? since : "never started")}, restarts {restarts}, last exit status {exitStatus} ({p.GetValueOrDefault("ExecMainCode") ?? "?"}), result {result}");
        yield return new Finding("systemd.unit.load_state", load);
        yield return new Finding("systemd.unit.active_state", active);
        yield return new Finding("systemd.unit.sub_state", sub);
        yield return new Finding("systemd.unit.main_pid", pid);
        yield return new Finding("systemd.unit.restarts", restarts);
        yield return new Finding("systemd.unit.exit_status", exitStatus);
        if (since.Length > 0)
        {
            yield return new Finding("systemd.unit.since", since);
        }

        if (result.Length > 0)
        {
            yield return new Finding("systemd.unit.result", result);
        }

        if (load is "not-found" or "masked" or "error" or "bad-setting")
        {
            yield return new Verdict(VerdictStatus.Fail, load == "not-found" ? $"{unit} is not installed here (no such unit)." : $"{unit} cannot be loaded: {load}.");
        }
        else if (active == "active")
        {
            yield return new Verdict(VerdictStatus.Pass, $"{unit} is active ({sub}) since {since}, main pid {pid}, {restarts} restarts.");
        }
        else if (active is "activating" or "reloading" or "deactivating")
        {
            yield return new Verdict(VerdictStatus.Warn, $"{unit} is {active} ({sub}), {restarts} restarts so far; check again or read its journal.");
        }
        else
        {
            yield return new Verdict(VerdictStatus.Fail, $"{unit} is {active} ({sub}); last exit status {exitStatus}, result {result}, {restarts} restarts. Read its journal for the cause.");
        }
    }

    private static async Task<(CommandResult? Result, string? Error)> RunAsync(HostAccess host, IReadOnlyList<string> arguments, CancellationToken ct)
    {
        try
        {
            return (await host.Commands.RunAsync("systemctl", arguments, TimeSpan.FromSeconds(10), ct), null);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return (null, ex.Message);
        }
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max] + "…";
}
