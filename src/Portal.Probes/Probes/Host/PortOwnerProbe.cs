using System.Diagnostics;
using System.Runtime.CompilerServices;
using Portal.Probes.Contract;

namespace Portal.Probes.Probes.Host;

/// <summary>
/// Who listens on a port (what <c>netstat -tulpn | grep :8000</c> answers), read from /proc: the
/// socket tables give the inode, the /proc/[pid]/fd links give the process. The verdict answers the
/// guide's question "is the port taken by something else?": held by the target's own service or free
/// (with expect=free, the default) passes; held by another process fails.
/// </summary>
public sealed class PortOwnerProbe : IProbe
{
    internal const string ServicePattern = "[A-Za-z0-9@._-]{1,64}";

    private readonly IHostAccessProvider _hosts;

    public PortOwnerProbe()
        : this(HostAccessProvider.Default)
    {
    }

    public PortOwnerProbe(IHostAccessProvider hosts) => _hosts = hosts;

    internal PortOwnerProbe(HostAccess host)
        : this(HostAccessProvider.Fixed(host))
    {
    }

    public ProbeDescriptor Descriptor { get; } = new(
        Kind: "port.owner",
        Title: "Port owner",
        TitleZh: "端口占用检查",
        Description: "Finds the process (pid, name, user, command line) listening on a TCP or UDP port, from /proc.",
        TargetKinds: [TargetKind.Host, TargetKind.Http, TargetKind.Postgres, TargetKind.Redis, TargetKind.Prometheus],
        Parameters:
        [
            new ProbeParameter("port", ParameterType.Integer, "Port to look up.", Required: true, Min: 1, Max: 65535),
            new ProbeParameter("protocol", ParameterType.Choice, "Which sockets to look at.", Default: "both", Choices: ["tcp", "udp", "both"]),
            new ProbeParameter("service", ParameterType.String, "The service expected to hold the port (process name, command-line word or systemd unit); defaults to the target's units.", Pattern: ServicePattern, MaxLength: 64),
            new ProbeParameter("expect", ParameterType.Choice, "free: nobody listening is fine (the service is about to start); listening: nobody listening is a warning.", Default: "free", Choices: ["free", "listening"]),
        ],
        DefaultTimeout: TimeSpan.FromSeconds(15),
        MaxTimeout: TimeSpan.FromSeconds(60));

    public async IAsyncEnumerable<ProbeEvent> RunAsync(ProbeRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        using var lease = await _hosts.AcquireAsync(request.Target, mustBeHere: true, ct);
        if (lease.Access is not { } host)
        {
            foreach (var refusal in lease.RefusalEvents("Cannot inspect ports"))
            {
                yield return refusal;
            }

            yield break;
        }

        var port = request.GetInt("port");
        var protocol = request.Get("protocol");
        var services = request.GetOptional("service") is { } s ? [s] : HostAccess.UnitNames(request.Target);
        yield return new OutputLine($"Looking for {(protocol == "both" ? "TCP and UDP" : protocol.ToUpperInvariant())} sockets on port {port}…", OutputStream.Info);

        var watch = Stopwatch.StartNew();
        var scan = await Task.Run(() => Scan(host, port, protocol, services), CancellationToken.None);
        if (ct.IsCancellationRequested)
        {
            yield break;
        }

        yield return new Metric("scan_ms", watch.Elapsed.TotalMilliseconds, "ms");

        yield return new Finding("port.listening", ProbeText.Bool(scan.Sockets.Count > 0));
        if (scan.Sockets.Count == 0)
        {
            yield return new OutputLine($"Nobody listens on port {port}.");
            if (request.Get("expect") == "listening")
            {
                yield return new Verdict(VerdictStatus.Warn, $"Nobody listens on port {port}: the service is not running or listens elsewhere.");
            }
            else
            {
                yield return new Verdict(VerdictStatus.Pass, $"Port {port} is free: the service can bind it.");
            }

            yield break;
        }

        foreach (var (socket, owner) in scan.Sockets)
        {
            yield return new OutputLine(owner is null
                ? $"{socket.Protocol,-5} {socket.Endpoint,-28} inode {socket.Inode} (owner not visible, socket uid {socket.Uid})"
                : $"{socket.Protocol,-5} {socket.Endpoint,-28} pid {owner.Pid} {owner.Name} user {owner.User}: {owner.CommandLine}");
        }

        // For the findings, the owner that matters most: one that is not the expected service (a conflict).
        var owners = scan.Sockets.Select(x => x.Owner).OfType<ProcessEntry>().DistinctBy(o => o.Pid).ToList();
        var foreign = owners.FirstOrDefault(o => !scan.Target.Contains(o.Pid));
        var main = foreign ?? owners.FirstOrDefault();
        yield return new Finding("port.owner.count", ProbeText.Number(owners.Count));
        if (main is null)
        {
            yield return new Verdict(VerdictStatus.Warn, $"Port {port} is in use, but its owner is not visible from here (another network namespace or no permission).");
            yield break;
        }

        var isTarget = scan.Target.Contains(main.Pid);
        yield return new Finding("port.owner.pid", ProbeText.Number(main.Pid));
        yield return new Finding("port.owner.process", main.Name);
        yield return new Finding("port.owner.user", main.User);
        yield return new Finding("port.owner.cmdline", main.CommandLine);
        if (services.Count == 0)
        {
            yield return new Finding("port.owner.is_target_service", "unknown");
            yield return new Verdict(VerdictStatus.Warn, $"Port {port} is held by pid {main.Pid} ({main.Name}, user {main.User}); no expected service was named to compare with.");
            yield break;
        }

        yield return new Finding("port.owner.is_target_service", ProbeText.Bool(isTarget));
        yield return isTarget
            ? new Verdict(VerdictStatus.Pass, $"Port {port} is held by {string.Join("/", services)} itself (pid {main.Pid}, {main.Name}).")
            : new Verdict(VerdictStatus.Fail, $"Port {port} is held by pid {main.Pid} ({main.Name}, user {main.User}), not {string.Join("/", services)}; the service cannot bind it.");
    }

    private static ScanResult Scan(HostAccess host, int port, string protocol, IReadOnlyCollection<string> services)
    {
        var proc = new ProcTable(host.Files);
        var tables = ProcTable.SocketTables.Where(t => protocol == "both" || t.StartsWith(protocol, StringComparison.Ordinal));
        var sockets = proc.Sockets(tables).Where(x => x.Port == port && x.IsListening).ToList();
        var owners = proc.SocketOwners(sockets.Select(x => x.Inode).ToHashSet());
        var processes = owners.Values.Distinct().Select(proc.Process).OfType<ProcessEntry>().ToDictionary(p => p.Pid);
        var target = processes.Values.Where(p => proc.BelongsTo(p, services)).Select(p => p.Pid).ToHashSet();
        return new ScanResult(
            [.. sockets.Select(x => (x, owners.TryGetValue(x.Inode, out var pid) ? processes.GetValueOrDefault(pid) : null))],
            target);
    }

    private sealed record ScanResult(IReadOnlyList<(SocketEntry Socket, ProcessEntry? Owner)> Sockets, HashSet<int> Target);
}
