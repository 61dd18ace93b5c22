using System.Diagnostics;
using System.Globalization;
using Portal.Probes.Contract;
using Portal.Probes.Network;
using Portal.Probes.Probes.Host;

namespace Portal.Probes.Tests.Host;

public sealed class HostCpuProbeTests
{
    [Fact]
    public async Task Run_WithABusyLoop_SamplesOverTheIntervalAndShowsThisProcess()
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

        var watch = Stopwatch.StartNew();
        var result = await ProbeHarness.RunAsync(new HostCpuProbe(), HostTestSupport.Target(), new() { ["interval"] = "1", ["samples"] = "2", ["top"] = "20" });
        await stop.CancelAsync();
        await spinner;

        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(2));
        Assert.InRange(double.Parse(result.Findings["host.cpu.sampled_seconds"], CultureInfo.InvariantCulture), 1.9, 4);
        var used = double.Parse(result.Findings["host.cpu.used_pct"], CultureInfo.InvariantCulture);
        Assert.InRange(used, 100.0 / Environment.ProcessorCount / 2, 100); // one core kept busy shows
        Assert.Equal(2, result.Metrics.Count(m => m.Name == "cpu_used_pct"));
        Assert.Contains("sample 2/2", result.Output, StringComparison.Ordinal);
        Assert.Contains(result.Output.Split('\n'), l => l.TrimStart().StartsWith(Environment.ProcessId + " ", StringComparison.Ordinal));
        Assert.Equal(Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture), result.Findings["host.cpu.cores"]);
        var expected = used > 80 ? VerdictStatus.Fail : used > 60 ? VerdictStatus.Warn : VerdictStatus.Pass;
        Assert.Equal(expected, result.Verdict.Status);
    }

    [Fact]
    public async Task Run_LoadAverages_MatchProcLoadavg()
    {
        var result = await ProbeHarness.RunAsync(new HostCpuProbe(), HostTestSupport.Target(), new() { ["interval"] = "1" });

        var oracle = double.Parse((await File.ReadAllTextAsync("/proc/loadavg")).Split(' ')[2], CultureInfo.InvariantCulture);
        Assert.InRange(double.Parse(result.Findings["host.cpu.load15"], CultureInfo.InvariantCulture), oracle - 1, oracle + 1);
    }

    [Fact]
    public async Task Run_CancelledWhileSampling_StopsPromptly()
    {
        var probe = new HostCpuProbe();
        var request = new ProbeRequest
        {
            Target = HostTestSupport.Target(),
            Parameters = ParameterValidator.Validate(probe.Descriptor, new Dictionary<string, string?> { ["interval"] = "30", ["samples"] = "10" }).Values,
            Network = new NetworkGuard(),
        };
        using var cts = new CancellationTokenSource();
        Stopwatch? sinceCancel = null;

        await foreach (var e in probe.RunAsync(request, cts.Token))
        {
            if (sinceCancel is null)
            {
                sinceCancel = Stopwatch.StartNew();
                await cts.CancelAsync();
            }
        }

        Assert.True(sinceCancel!.Elapsed < TimeSpan.FromSeconds(2));
    }

    [Theory]
    [InlineData("interval", "0")]
    [InlineData("interval", "31")]
    [InlineData("samples", "11")]
    public void Validate_OutOfRange_IsRefused(string name, string value)
    {
        Assert.False(ParameterValidator.Validate(new HostCpuProbe().Descriptor, new Dictionary<string, string?> { [name] = value }).IsValid);
    }
}
