using Portal.Probes.Contract;
using Portal.Probes.Probes.Host;

namespace Portal.Probes.Tests.Host;

public sealed class NetTraceProbeTests
{
    [Fact]
    public async Task Run_Loopback_ReachedWithTracepath()
    {
        Assert.True(File.Exists("/usr/bin/tracepath"), "install iputils-tracepath");

        var result = await ProbeHarness.RunAsync(new NetTraceProbe(), HostTestSupport.Target(), new() { ["max_hops"] = "5", ["port"] = "8001" });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("tracepath", result.Findings["net.trace.tool"]);
        Assert.Equal("true", result.Findings["net.trace.reached"]);
        Assert.Equal("127.0.0.1", result.Findings["net.trace.last_hop"]);
        Assert.Contains("tracepath -n -m 5 -p 8001 127.0.0.1", result.Output, StringComparison.Ordinal);
        Assert.Contains("reached", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NeitherToolInstalled_SaysSo()
    {
        var commands = new LocalHostCommands(new Dictionary<string, string[]> { ["tracepath"] = ["/nonexistent/tracepath"], ["traceroute"] = ["/nonexistent/traceroute"] });

        var result = await ProbeHarness.RunAsync(new NetTraceProbe(new HostAccess(new LocalHostFileSystem(), commands)), HostTestSupport.Target());

        Assert.Equal(VerdictStatus.Error, result.Verdict.Status);
        Assert.Contains("Neither tracepath nor traceroute is installed here", result.Verdict.Summary, StringComparison.Ordinal);
        Assert.Equal("none", result.Findings["net.trace.tool"]);
    }

    [Fact]
    public async Task Run_LoopbackNotAllowed_TracesNothing()
    {
        var result = await ProbeHarness.RunAsync(new NetTraceProbe(), HostTestSupport.Target() with { AllowLoopback = false });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("refused_by_policy", result.Findings["net.trace.error"]);
        Assert.Empty(HostTestSupport.ChildrenNamed("tracepath"));
    }

    [Theory]
    [InlineData(" 1:  192.0.2.1      2.159ms ", 1, "192.0.2.1")]
    [InlineData(" 1?: [LOCALHOST]                      pmtu 1400", 1, null)]
    [InlineData(" 3  10.1.2.3  0.512 ms !H  0.4 ms !H", 3, "10.1.2.3")]
    [InlineData("     Resume: pmtu 65535 hops 1 back 1 ", null, null)]
    public void ParseHop_ReadsBothTools(string line, int? number, string? address)
    {
        var hop = NetTraceProbe.ParseHop(line);

        Assert.Equal(number, hop?.Number);
        Assert.Equal(address, hop?.Address);
    }
}
