using System.Diagnostics;
using System.Text.Json;
using Portal.Testing;
using Xunit.Abstractions;

namespace Portal.IntegrationTests;

/// <summary>
/// Targets that accept connections and never answer, or trickle a byte a second, on real sockets:
/// runs against them hold no thread, end at their time limit and trip the target's breaker, which
/// then answers at once; a healthy target keeps working meanwhile.
/// </summary>
public sealed class TargetBreakerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int PerTarget = 30;
    private readonly PortalHost _host = new();
    private readonly SocketTarget _hanging = SocketTarget.Hanging();
    private readonly SocketTarget _trickling = SocketTarget.Trickling();
    private readonly SocketTarget _healthy = SocketTarget.Healthy();
    private HttpClient _client = null!;
    private RunsClient _runs = null!;

    public async Task InitializeAsync()
    {
        _host.Settings["Portal:Resilience:MinimumThroughput"] = "3";
        _host.Settings["Portal:Resilience:BreakDuration"] = "00:05:00";
        await _host.InitializeAsync();
        _client = _host.CreateClient();
        _runs = new RunsClient(_host, _client);
        await _runs.PutTargetAsync("faults", "hang", new { role = "hang", kind = "redis", host = "127.0.0.1", port = _hanging.Port, allowLoopback = true });
        await _runs.PutTargetAsync("faults", "trickle", new { role = "trickle", kind = "http", baseUrl = $"http://127.0.0.1:{_trickling.Port}", allowLoopback = true });
        await _runs.PutTargetAsync("faults", "healthy", new { role = "healthy", kind = "http", baseUrl = $"http://127.0.0.1:{_healthy.Port}", allowLoopback = true });
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
        await _hanging.DisposeAsync();
        await _trickling.DisposeAsync();
        await _healthy.DisposeAsync();
    }

    [Fact]
    public async Task HangingAndTricklingTargets_HoldNoThread_EndAtTheirLimits_TripTheBreaker_HealthyKeepsWorking()
    {
        // Warm up (JIT, pools) so the baseline is what an idle portal needs.
        Assert.Equal("pass", (await _runs.RunAsync("http.check", "faults", "healthy", new { path = "/" })).GetProperty("status").GetString());
        var poolBefore = ThreadPool.ThreadCount;
        var threadsBefore = ProcessThreads();

        // Hanging Redis: the probe's own 2.5 s read limit ends it. Trickling HTTP: the run's 3 s time limit ends it.
        var hangRuns = Enumerable.Range(0, PerTarget).Select(_ => _runs.StartAsync("redis.ping", "faults", "hang", new { count = "1", timeout_ms = "2500" }, timeoutSeconds: 20));
        var trickleRuns = Enumerable.Range(0, PerTarget).Select(_ => _runs.StartAsync("http.check", "faults", "trickle", new { path = "/", timeout_ms = "60000" }, timeoutSeconds: 3));
        var started = await Task.WhenAll(hangRuns.Concat(trickleRuns));

        // Every run holds its connection open at the same time. Were each blocking a thread, this
        // would need 60 more threads; the pool adds them slowly, so the connections would trickle in.
        await WaitUntilAsync(() => _hanging.Open == PerTarget && _trickling.Open == PerTarget, TimeSpan.FromSeconds(10));
        var poolDuring = ThreadPool.ThreadCount;
        var threadsDuring = ProcessThreads();
        var healthyWatch = Stopwatch.StartNew();
        var healthy = await _runs.RunAsync("http.check", "faults", "healthy", new { path = "/" });
        healthyWatch.Stop();

        var finished = await Task.WhenAll(started.Select(id => _runs.WaitFinishedAsync(id)));
        output.WriteLine($"{2 * PerTarget} runs holding connections: thread pool {poolBefore} -> {poolDuring}, process threads {threadsBefore} -> {threadsDuring}; healthy run meanwhile {healthyWatch.ElapsedMilliseconds} ms");

        Assert.True(poolDuring - poolBefore < 20, $"thread pool grew from {poolBefore} to {poolDuring} threads while {2 * PerTarget} runs waited");
        Assert.True(threadsDuring - threadsBefore < 20, $"process threads grew from {threadsBefore} to {threadsDuring} while {2 * PerTarget} runs waited");
        Assert.Equal("pass", healthy.GetProperty("status").GetString());
        Assert.True(healthyWatch.Elapsed < TimeSpan.FromSeconds(5), $"a healthy target took {healthyWatch.Elapsed} while others hung");

        foreach (var run in finished.Take(PerTarget))
        {
            Assert.Equal("fail", run.GetProperty("status").GetString());
            Assert.Equal("timeout", run.GetProperty("findings").GetProperty("redis.error").GetString());
            Assert.InRange(RunsClient.Took(run).TotalSeconds, 2.0, 10);
        }

        foreach (var run in finished.Skip(PerTarget))
        {
            Assert.Equal("timeout", run.GetProperty("status").GetString());
            Assert.InRange(RunsClient.Took(run).TotalSeconds, 2.5, 10);
        }

        // Both breakers opened; the healthy target's stayed closed.
        var hangBreaker = await _runs.BreakerAsync("faults", "hang");
        var trickleBreaker = await _runs.BreakerAsync("faults", "trickle");
        Assert.Equal("open", hangBreaker.GetProperty("state").GetString());
        Assert.StartsWith("redis.error=timeout", hangBreaker.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        Assert.Equal("open", trickleBreaker.GetProperty("state").GetString());
        Assert.Contains("time limit of 3 s", trickleBreaker.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        Assert.Equal("closed", (await _runs.BreakerAsync("faults", "healthy")).GetProperty("state").GetString());

        // Now a run answers at once, without another connection to the dying server.
        var acceptedBefore = _hanging.Accepted;
        var open = await _runs.RunAsync("redis.ping", "faults", "hang", new { count = "1", timeout_ms = "2500" }, timeoutSeconds: 20);
        Assert.Equal("fail", open.GetProperty("status").GetString());
        Assert.StartsWith("Circuit open since ", open.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Contains("last error: redis.error=timeout", open.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Equal("open", open.GetProperty("findings").GetProperty("circuit.state").GetString());
        Assert.Equal("timeout", open.GetProperty("findings").GetProperty("redis.error").GetString());
        output.WriteLine($"open breaker answered in {RunsClient.Took(open).TotalMilliseconds:0} ms");
        Assert.True(RunsClient.Took(open) < TimeSpan.FromSeconds(1), $"an open breaker took {RunsClient.Took(open)} to answer");
        Assert.Equal(acceptedBefore, _hanging.Accepted);

        // Host-level probes still run against a target whose breaker is open: they are how one finds out why.
        var tcp = await _runs.RunAsync("tcp.connect", "faults", "hang");
        Assert.Equal("pass", tcp.GetProperty("status").GetString());
        Assert.Equal("pass", (await _runs.RunAsync("http.check", "faults", "healthy", new { path = "/" })).GetProperty("status").GetString());
    }

    private static int ProcessThreads()
    {
        using var process = Process.GetCurrentProcess();
        return process.Threads.Count;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < limit, "the condition was not met in time");
            await Task.Delay(20);
        }
    }
}
