using System.Net;
using System.Net.Sockets;
using Portal.Probes.Contract;
using Portal.Probes.Probes.Network;

namespace Portal.Probes.Tests.Network;

public sealed class TcpConnectProbeTests
{
    private readonly TcpConnectProbe _probe = new();

    [Fact]
    public async Task Run_ListeningPort_PassesWithTheConnectTime()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var result = await ProbeHarness.RunAsync(_probe, ProbeHarness.LocalTarget(TargetKind.Host, port: port));

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("1", result.Findings["tcp.connected"]);
        Assert.Contains(result.Metrics, m => m.Name == "connect_ms" && m.Value >= 0);
        Assert.Contains($"127.0.0.1:{port} connected", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ClosedPort_FailsAsRefused()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var result = await ProbeHarness.RunAsync(_probe, ProbeHarness.LocalTarget(TargetKind.Host, port: port));

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("refused", result.Findings["tcp.error"]);
    }

    [Fact]
    public async Task Run_LoopbackNotAllowedForTheTarget_SendsNothingAndSaysWhy()
    {
        var target = ProbeHarness.LocalTarget(TargetKind.Host, port: 22) with { AllowLoopback = false };

        var result = await ProbeHarness.RunAsync(_probe, target);

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("refused_by_policy", result.Findings["tcp.error"]);
        Assert.Contains("loopback", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_TargetWithoutPort_IsAnErrorNotAnException()
    {
        var result = await ProbeHarness.RunAsync(_probe, ProbeHarness.LocalTarget(TargetKind.Host));

        Assert.Equal(VerdictStatus.Error, result.Verdict.Status);
    }
}
