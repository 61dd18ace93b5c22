using System.Net;
using System.Net.Sockets;
using Portal.Probes.Contract;
using Portal.Probes.Probes.Host;

namespace Portal.Probes.Tests.Host;

public sealed class PortOwnerProbeTests
{
    private readonly PortOwnerProbe _probe = new();

    [Fact]
    public async Task Run_TcpListenerOfAnotherService_FailsNamingThisProcess()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var result = await ProbeHarness.RunAsync(_probe, HostTestSupport.Target(units: ["platform-api"]), new() { ["port"] = port.ToString() });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal(Environment.ProcessId.ToString(), result.Findings["port.owner.pid"]);
        Assert.Equal(HostTestSupport.OwnProcessName, result.Findings["port.owner.process"]);
        Assert.Equal("root", result.Findings["port.owner.user"]);
        Assert.Equal("false", result.Findings["port.owner.is_target_service"]);
        Assert.Equal("true", result.Findings["port.listening"]);
        Assert.Contains($"127.0.0.1:{port}", result.Output, StringComparison.Ordinal);
        Assert.Contains($"held by pid {Environment.ProcessId}", result.Verdict.Summary, StringComparison.Ordinal);
        Assert.NotEmpty(result.Findings["port.owner.cmdline"]);
        Assert.True(result.Findings["port.owner.cmdline"].Length <= ProcTable.CommandLineLimit + 1);
    }

    [Fact]
    public async Task Run_HeldByTheExpectedService_Passes()
    {
        using var listener = new TcpListener(IPAddress.IPv6Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var result = await ProbeHarness.RunAsync(
            _probe, HostTestSupport.Target(), new() { ["port"] = port.ToString(), ["protocol"] = "tcp", ["service"] = HostTestSupport.OwnProcessName });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("true", result.Findings["port.owner.is_target_service"]);
        Assert.Contains($"tcp6  [::1]:{port}", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_UdpSocket_FoundOnlyWhenUdpIsAsked()
    {
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)udp.Client.LocalEndPoint!).Port;

        var both = await ProbeHarness.RunAsync(_probe, HostTestSupport.Target(units: ["platform-api"]), new() { ["port"] = port.ToString() });
        var tcpOnly = await ProbeHarness.RunAsync(_probe, HostTestSupport.Target(units: ["platform-api"]), new() { ["port"] = port.ToString(), ["protocol"] = "tcp" });

        Assert.Equal(Environment.ProcessId.ToString(), both.Findings["port.owner.pid"]);
        Assert.Contains("udp ", both.Output, StringComparison.Ordinal);
        Assert.Equal(VerdictStatus.Fail, both.Verdict.Status);
        Assert.Equal("false", tcpOnly.Findings["port.listening"]);
        Assert.DoesNotContain("port.owner.pid", tcpOnly.Findings.Keys);
    }

    [Fact]
    public async Task Run_FreePort_PassesOrWarnsAsExpected()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var free = await ProbeHarness.RunAsync(_probe, HostTestSupport.Target(), new() { ["port"] = port.ToString(), ["protocol"] = "tcp" });
        var listening = await ProbeHarness.RunAsync(_probe, HostTestSupport.Target(), new() { ["port"] = port.ToString(), ["protocol"] = "tcp", ["expect"] = "listening" });

        Assert.Equal(VerdictStatus.Pass, free.Verdict.Status);
        Assert.Equal("false", free.Findings["port.listening"]);
        Assert.DoesNotContain("port.owner.pid", free.Findings.Keys);
        Assert.Equal(VerdictStatus.Warn, listening.Verdict.Status);
    }

    [Fact]
    public async Task Run_NoServiceToCompareWith_WarnsAndSaysUnknown()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var result = await ProbeHarness.RunAsync(_probe, HostTestSupport.Target(), new() { ["port"] = port.ToString() });

        Assert.Equal(VerdictStatus.Warn, result.Verdict.Status);
        Assert.Equal("unknown", result.Findings["port.owner.is_target_service"]);
    }

    [Fact]
    public async Task Run_RemoteTarget_IsAnErrorNotALocalAnswer()
    {
        var target = HostTestSupport.Target() with { Host = "db1.example.com" };

        var result = await ProbeHarness.RunAsync(_probe, target, new() { ["port"] = "8000" });

        Assert.Equal(VerdictStatus.Error, result.Verdict.Status);
        Assert.Contains("db1.example.com", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("port", "0")]
    [InlineData("port", "65536")]
    [InlineData("service", "a b")]
    [InlineData("service", "x;rm")]
    [InlineData("protocol", "sctp")]
    public void Validate_BadParameters_AreRefused(string name, string value)
    {
        var raw = new Dictionary<string, string?> { ["port"] = "80", [name] = value };

        Assert.False(ParameterValidator.Validate(_probe.Descriptor, raw).IsValid);
    }
}
