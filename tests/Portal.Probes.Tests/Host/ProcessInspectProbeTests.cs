using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Portal.Probes.Contract;
using Portal.Probes.Probes.Host;

namespace Portal.Probes.Tests.Host;

public sealed class ProcessInspectProbeTests
{
    private readonly ProcessInspectProbe _probe = new();

    [Fact]
    public async Task Run_ChildSleepByPid_ReportsItsFacts()
    {
        using var sleep = HostTestSupport.Spawn("/bin/sleep", "30");
        try
        {
            var result = await ProbeHarness.RunAsync(_probe, HostTestSupport.Target(), new() { ["pid"] = sleep.Id.ToString(CultureInfo.InvariantCulture) });

            Assert.Equal("true", result.Findings["process.found"]);
            Assert.Equal("sleep", result.Findings["process.name"]);
            Assert.Equal("S", result.Findings["process.state"]);
            Assert.Equal("root", result.Findings["process.user"]);
            Assert.Equal("1", result.Findings["process.threads"]);
            Assert.True(long.Parse(result.Findings["process.rss_bytes"], CultureInfo.InvariantCulture) > 0);
            Assert.True(int.Parse(result.Findings["process.open_files"], CultureInfo.InvariantCulture) >= 3);
            var started = DateTimeOffset.Parse(result.Findings["process.started"], CultureInfo.InvariantCulture);
            Assert.InRange(started, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(5));
            Assert.Equal(string.Empty, result.Findings["process.listening_ports"]);
            Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
            Assert.Contains("sleep 30", result.Output, StringComparison.Ordinal);
        }
        finally
        {
            sleep.Kill();
        }
    }

    [Fact]
    public async Task Run_ThisProcess_ShowsTheTcpPortItListensOn()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var result = await ProbeHarness.RunAsync(_probe, HostTestSupport.Target(), new() { ["pid"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture) });

        Assert.Contains($"tcp/{port}", result.Findings["process.listening_ports"].Split(','));
        Assert.Equal(Environment.ProcessId.ToString(CultureInfo.InvariantCulture), result.Findings["process.pid"]);
    }

    [Fact]
    public async Task Run_ByName_FindsTheChild()
    {
        using var sleep = HostTestSupport.Spawn("/bin/sleep", "31");
        try
        {
            var result = await ProbeHarness.RunAsync(_probe, HostTestSupport.Target(), new() { ["name"] = "sleep", ["top"] = "50" });

            Assert.Contains($"{sleep.Id} ", result.Output, StringComparison.Ordinal);
            Assert.Equal("sleep", result.Findings["process.name"]);
        }
        finally
        {
            sleep.Kill();
        }
    }

    [Fact]
    public async Task Run_PidThatDoesNotExist_Fails()
    {
        int pid;
        using (var gone = HostTestSupport.Spawn("/bin/true"))
        {
            pid = gone.Id;
            await gone.WaitForExitAsync();
        }

        var result = await ProbeHarness.RunAsync(_probe, HostTestSupport.Target(), new() { ["pid"] = pid.ToString(CultureInfo.InvariantCulture) });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("false", result.Findings["process.found"]);
    }

    [Fact]
    public async Task Run_TopByCpuWithTheTargetServiceBusy_JudgesThatService()
    {
        using var stop = new CancellationTokenSource();
        var spinner = Task.Run(() =>
        {
            var x = 0UL;
            while (!stop.IsCancellationRequested)
            {
                x++;
            }

            return x;
        });

        var result = await ProbeHarness.RunAsync(_probe, HostTestSupport.Target(), new() { ["sort"] = "cpu", ["top"] = "10", ["service"] = HostTestSupport.OwnProcessName });
        await stop.CancelAsync();
        await spinner;

        Assert.Equal("true", result.Findings["process.target_found"]);
        var cpu = double.Parse(result.Findings["process.max_cpu_pct"], CultureInfo.InvariantCulture);
        Assert.True(cpu > 30, $"cpu {cpu}");
        var expected = cpu >= 80 ? VerdictStatus.Fail : cpu >= 60 ? VerdictStatus.Warn : VerdictStatus.Pass;
        Assert.True(result.Verdict.Status == expected || double.Parse(result.Findings["process.max_mem_pct"], CultureInfo.InvariantCulture) >= 40);
    }

    [Fact]
    public async Task Run_TopByMemoryWithoutTheService_PassesAndSaysSo()
    {
        var result = await ProbeHarness.RunAsync(_probe, HostTestSupport.Target(units: ["platform-api"]), new() { ["sort"] = "memory", ["top"] = "5" });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("false", result.Findings["process.target_found"]);
        Assert.Equal(6, result.Output.Split('\n').Count(l => !l.StartsWith("Measuring", StringComparison.Ordinal)));
    }
}
