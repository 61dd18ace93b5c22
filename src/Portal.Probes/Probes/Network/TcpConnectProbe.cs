using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Portal.Probes.Contract;
using Portal.Probes.Network;

namespace Portal.Probes.Probes.Network;

/// <summary>
/// Can we open a TCP connection? Every resolved address is tried and timed; failures are
/// classified (refused, timeout, unreachable) instead of a bare "connection failed".
/// </summary>
public sealed class TcpConnectProbe : IProbe
{
    public ProbeDescriptor Descriptor { get; } = new(
        Kind: "tcp.connect",
        Title: "TCP connect",
        TitleZh: "TCP 连接测试",
        Description: "Resolves the target and opens a TCP connection to each address, timing each attempt.",
        TargetKinds: [TargetKind.Host, TargetKind.Postgres, TargetKind.Redis, TargetKind.Http, TargetKind.Prometheus],
        Parameters:
        [
            new ProbeParameter("port", ParameterType.Integer, "TCP port; defaults to the target's port.", Min: 1, Max: 65535),
            new ProbeParameter("timeout_ms", ParameterType.Integer, "Time limit per address.", Default: "3000", Min: 100, Max: 30000),
        ],
        DefaultTimeout: TimeSpan.FromSeconds(15),
        MaxTimeout: TimeSpan.FromSeconds(60));

    public async IAsyncEnumerable<ProbeEvent> RunAsync(ProbeRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        var (host, defaultPort) = TargetEndpoint.Of(request.Target);
        var port = request.GetOptional("port") is { } p ? int.Parse(p, System.Globalization.CultureInfo.InvariantCulture) : defaultPort;
        if (host is null || port is null)
        {
            yield return new Verdict(VerdictStatus.Error, $"Target '{request.Target.Name}' has no host and port to connect to.");
            yield break;
        }

        yield return new OutputLine($"Resolving {host}…", OutputStream.Info);
        var resolveWatch = Stopwatch.StartNew();
        IReadOnlyList<IPAddress> addresses;
        string? refused = null;
        try
        {
            addresses = await request.Network.ResolveAllowedAsync(host, request.Target, ct);
        }
        catch (AddressRefusedException ex)
        {
            addresses = [];
            refused = ex.Message;
        }

        if (refused is not null)
        {
            yield return new Finding("tcp.error", refused.Contains("DNS", StringComparison.Ordinal) ? "dns" : "refused_by_policy");
            yield return new Verdict(VerdictStatus.Fail, refused);
            yield break;
        }

        yield return new Metric("dns_ms", resolveWatch.Elapsed.TotalMilliseconds, "ms");
        yield return new OutputLine($"{host} → {string.Join(", ", addresses)} ({ProbeText.Ms(resolveWatch.Elapsed)})");

        var perAddress = TimeSpan.FromMilliseconds(request.GetInt("timeout_ms"));
        var connected = 0;
        string? lastError = null;
        foreach (var address in addresses)
        {
            var (elapsed, error) = await ConnectAsync(address, port.Value, perAddress, ct);
            if (error is null)
            {
                connected++;
                yield return new OutputLine($"{address}:{port} connected in {ProbeText.Ms(elapsed)}");
                yield return new Metric("connect_ms", elapsed.TotalMilliseconds, "ms");
            }
            else
            {
                lastError = error;
                yield return new OutputLine($"{address}:{port} {error} after {ProbeText.Ms(elapsed)}", OutputStream.Stderr);
            }
        }

        yield return new Finding("tcp.connected", ProbeText.Number(connected));
        if (connected == addresses.Count)
        {
            yield return new Verdict(VerdictStatus.Pass, $"{host}:{port} accepts connections ({connected} of {addresses.Count} addresses).");
        }
        else if (connected > 0)
        {
            yield return new Verdict(VerdictStatus.Warn, $"{host}:{port}: {connected} of {addresses.Count} addresses accept connections; others: {lastError}.");
        }
        else
        {
            yield return new Finding("tcp.error", lastError!);
            yield return new Verdict(VerdictStatus.Fail, $"{host}:{port} {lastError}.");
        }
    }

    /// <returns>How long it took, and null or the classified error: refused, timeout, unreachable.</returns>
    private static async Task<(TimeSpan Elapsed, string? Error)> ConnectAsync(IPAddress address, int port, TimeSpan limit, CancellationToken ct)
    {
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(limit);
        var watch = Stopwatch.StartNew();
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, port), timeout.Token);
            return (watch.Elapsed, null);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (watch.Elapsed, "timeout");
        }
        catch (SocketException ex)
        {
            return (watch.Elapsed, Classify(ex.SocketErrorCode));
        }
    }

    internal static string Classify(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => "refused",
        SocketError.TimedOut => "timeout",
        SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostDown or SocketError.NetworkDown => "unreachable",
        _ => error.ToString().ToLowerInvariant(),
    };
}
