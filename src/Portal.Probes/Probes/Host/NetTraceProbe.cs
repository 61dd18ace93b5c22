using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using Portal.Probes.Contract;
using Portal.Probes.Network;

namespace Portal.Probes.Probes.Host;

/// <summary>
/// The route to the target, hop by hop as they come, with tracepath (preferred) or traceroute where
/// installed, run with a fixed argument list against the address the network guard allowed.
/// Reached passes; an ICMP "unreachable" (!H, !N, !P, !X…) on the way fails (a routing or network
/// configuration problem); hops that go silent without reaching the target warn (a firewall
/// dropping probes is the usual cause).
/// </summary>
public sealed class NetTraceProbe : IProbe
{
    private static readonly string[] UnreachableMarks = ["!H", "!N", "!P", "!X", "!S", "!F", "!A", "!C", "!V", "!Z"];

    private readonly IHostAccessProvider _hosts;

    public NetTraceProbe()
        : this(HostAccessProvider.Default)
    {
    }

    public NetTraceProbe(IHostAccessProvider hosts) => _hosts = hosts;

    internal NetTraceProbe(HostAccess host)
        : this(HostAccessProvider.Fixed(host))
    {
    }

    public ProbeDescriptor Descriptor { get; } = new(
        Kind: "net.trace",
        Title: "Route trace",
        TitleZh: "路由跟踪",
        Description: "Traces the network route to the target hop by hop with tracepath or traceroute.",
        TargetKinds: [TargetKind.Host, TargetKind.Http, TargetKind.Postgres, TargetKind.Redis, TargetKind.Prometheus],
        Parameters:
        [
            new ProbeParameter("port", ParameterType.Integer, "Destination port for the probes (UDP); defaults to the tool's own.", Min: 1, Max: 65535),
            new ProbeParameter("max_hops", ParameterType.Integer, "Give up after this many hops.", Default: "30", Min: 1, Max: 30),
        ],
        DefaultTimeout: TimeSpan.FromSeconds(90),
        MaxTimeout: TimeSpan.FromMinutes(5));

    public async IAsyncEnumerable<ProbeEvent> RunAsync(ProbeRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        // A target with SSH settings is traced from its own machine; any other from the portal's.
        using var lease = await _hosts.AcquireAsync(request.Target, mustBeHere: false, ct);
        if (lease.Access is not { } machine)
        {
            foreach (var refusal in lease.RefusalEvents("Cannot trace the route"))
            {
                yield return refusal;
            }

            yield break;
        }

        var tool = machine.Commands.Find("tracepath") is not null ? "tracepath" : machine.Commands.Find("traceroute") is not null ? "traceroute" : null;
        if (tool is null)
        {
            yield return new Finding("net.trace.tool", "none");
            yield return new Verdict(VerdictStatus.Error, "Neither tracepath nor traceroute is installed here (Debian: iputils-tracepath or traceroute).");
            yield break;
        }

        var (host, _) = TargetEndpoint.Of(request.Target);
        if (host is null)
        {
            yield return new Verdict(VerdictStatus.Error, $"Target '{request.Target.Name}' has no host to trace.");
            yield break;
        }

        var (address, refused) = await ResolveAsync(request, host, ct);
        if (address is null)
        {
            yield return new Finding("net.trace.error", "refused_by_policy");
            yield return new Verdict(VerdictStatus.Fail, refused!);
            yield break;
        }

        List<string> arguments = ["-n", "-m", request.Get("max_hops")];
        if (request.GetOptional("port") is { } port)
        {
            arguments.AddRange(["-p", port]);
        }

        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            arguments.Add("-6");
        }

        arguments.Add(address.ToString());
        yield return new Finding("net.trace.tool", tool);
        var (running, error) = Start(machine, tool, arguments);
        if (running is null)
        {
            yield return new Verdict(VerdictStatus.Error, $"{tool} did not start: {error}");
            yield break;
        }

        var watch = Stopwatch.StartNew();
        var reached = false;
        var unreachable = (string?)null;
        var hops = 0;
        string? lastHop = null;
        await using (running)
        {
            yield return new OutputLine($"{tool} {string.Join(' ', arguments)} ({host})", OutputStream.Info);
            while (await running.ReadLineAsync(ct) is { } line)
            {
                yield return new OutputLine(line);
                if (ParseHop(line) is not { } hop)
                {
                    continue;
                }

                hops = Math.Max(hops, hop.Number);
                if (hop.Address is { } a)
                {
                    lastHop = a;
                    if (a == address.ToString())
                    {
                        reached = true;
                    }
                }

                reached |= line.Contains("reached", StringComparison.Ordinal);
                if (UnreachableMarks.FirstOrDefault(m => line.Contains(m, StringComparison.Ordinal)) is { } mark)
                {
                    unreachable ??= $"hop {hop.Number} ({hop.Address ?? "?"}) answered {mark}";
                }
            }

            if (ct.IsCancellationRequested)
            {
                yield break;
            }

            var exit = await running.WaitAsync(TimeSpan.FromSeconds(5));
            if (exit is not 0 && hops == 0)
            {
                yield return new Verdict(VerdictStatus.Error, $"{tool} failed: {LogPatterns.Truncate(running.Stderr.Trim())}");
                yield break;
            }
        }

        yield return new Metric("trace_ms", watch.Elapsed.TotalMilliseconds, "ms");
        yield return new Finding("net.trace.hops", ProbeText.Number(hops));
        yield return new Finding("net.trace.reached", ProbeText.Bool(reached));
        if (lastHop is not null)
        {
            yield return new Finding("net.trace.last_hop", lastHop);
        }

        if (reached)
        {
            yield return new Verdict(VerdictStatus.Pass, $"{host} ({address}) reached in {hops} hops.");
        }
        else if (unreachable is not null)
        {
            yield return new Finding("net.trace.error", "unreachable");
            yield return new Verdict(VerdictStatus.Fail, $"The route to {host} ({address}) breaks: {unreachable}; check routing and the network configuration.");
        }
        else
        {
            yield return new Finding("net.trace.error", "no_reply");
            yield return new Verdict(VerdictStatus.Warn, $"{host} ({address}) was not reached within {hops} hops; the last hop that answered was {lastHop ?? "none"}. Probes are probably dropped by a firewall.");
        }
    }

    /// <summary>"  3:  10.0.0.1   1.2ms" (tracepath) or " 3  10.0.0.1  1.2 ms" (traceroute).</summary>
    internal static (int Number, string? Address)? ParseHop(string line)
    {
        var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (f.Length < 2 || !int.TryParse(f[0].TrimEnd(':', '?'), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return null;
        }

        var address = f.Skip(1).FirstOrDefault(x => (x.Contains('.', StringComparison.Ordinal) || x.Contains(':', StringComparison.Ordinal)) && IPAddress.TryParse(x, out _));
        return (number, address);
    }

    private static async Task<(IPAddress? Address, string? Refused)> ResolveAsync(ProbeRequest request, string host, CancellationToken ct)
    {
        try
        {
            return ((await request.Network.ResolveAllowedAsync(host, request.Target, ct))[0], null);
        }
        catch (AddressRefusedException ex)
        {
            return (null, ex.Message);
        }
    }

    private static (IRunningCommand? Running, string? Error) Start(HostAccess machine, string tool, IReadOnlyList<string> arguments)
    {
        try
        {
            return (machine.Commands.Start(tool, arguments), null);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return (null, ex.Message);
        }
    }
}
