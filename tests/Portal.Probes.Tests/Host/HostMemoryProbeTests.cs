using System.Globalization;
using Portal.Probes.Contract;
using Portal.Probes.Probes.Host;

namespace Portal.Probes.Tests.Host;

public sealed class HostMemoryProbeTests
{
    [Fact]
    public async Task Run_RealHost_AgreesWithFreeWithinTolerance()
    {
        var result = await ProbeHarness.RunAsync(new HostMemoryProbe(), HostTestSupport.Target());
        var free = Free();

        var total = long.Parse(result.Findings["host.memory.total_bytes"], CultureInfo.InvariantCulture);
        var available = long.Parse(result.Findings["host.memory.available_bytes"], CultureInfo.InvariantCulture);
        Assert.Equal(free.Total, total);
        Assert.InRange(available, free.Available - (256L << 20), free.Available + (256L << 20)); // memory moves between the two reads
        var oraclePct = 100.0 * (free.Total - free.Available) / free.Total;
        Assert.InRange(double.Parse(result.Findings["host.memory.host_used_pct"], CultureInfo.InvariantCulture), oraclePct - 2, oraclePct + 2);
        Assert.Equal(free.SwapTotal, long.Parse(result.Findings["host.memory.swap_total_bytes"], CultureInfo.InvariantCulture));
        Assert.True(double.Parse(result.Findings["host.memory.used_pct"], CultureInfo.InvariantCulture) >= double.Parse(result.Findings["host.memory.host_used_pct"], CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Run_RealHost_VerdictFollowsTheThresholdsAndListsTheLargestProcesses()
    {
        var result = await ProbeHarness.RunAsync(new HostMemoryProbe(), HostTestSupport.Target(), new() { ["top"] = "50" });

        var used = double.Parse(result.Findings["host.memory.used_pct"], CultureInfo.InvariantCulture);
        var expected = used > 85 ? VerdictStatus.Fail : used > 75 ? VerdictStatus.Warn : VerdictStatus.Pass;
        Assert.Equal(expected, result.Verdict.Status);
        Assert.Contains("RSS", result.Output, StringComparison.Ordinal);
        Assert.True(long.Parse(result.Findings["host.memory.top_rss_bytes"], CultureInfo.InvariantCulture) > 0);
        Assert.Contains("host.memory.oom_kills", result.Findings.Keys); // this machine's cgroup (v1 or v2) counts them
        Assert.Contains(result.Metrics, m => m.Name == "memory_used_pct");
    }

    [Fact]
    public async Task Run_TheTestHostItself_AppearsWithItsRss()
    {
        // Hold a large, touched allocation so this process is among the largest.
        var ballast = new byte[512 << 20];
        Array.Fill(ballast, (byte)1);

        var result = await ProbeHarness.RunAsync(new HostMemoryProbe(), HostTestSupport.Target(), new() { ["top"] = "50" });

        Assert.Contains(result.Output.Split('\n'), l => l.TrimStart().StartsWith(Environment.ProcessId + " ", StringComparison.Ordinal));
        GC.KeepAlive(ballast);
    }

    /// <summary>The outside oracle: procps free -b.</summary>
    private static (long Total, long Available, long SwapTotal) Free()
    {
        using var free = HostTestSupport.Spawn("/usr/bin/free", "-b");
        var lines = free.StandardOutput.ReadToEnd().Split('\n');
        free.WaitForExit();
        var mem = lines.First(l => l.StartsWith("Mem:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var swap = lines.First(l => l.StartsWith("Swap:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (long.Parse(mem[1], CultureInfo.InvariantCulture), long.Parse(mem[6], CultureInfo.InvariantCulture), long.Parse(swap[1], CultureInfo.InvariantCulture));
    }
}
