using System.Diagnostics;
using Microsoft.AspNetCore.SignalR.Client;
using Portal.Benchmarks.Infrastructure;
using Portal.Web.Runs;

namespace Portal.Benchmarks.Hub;

/// <summary>
/// (1) Hub load generator: N SignalR subscriptions to M runs, delivery latency from each event's
/// server timestamp (<see cref="RunEvent.At"/>, stamped when the event entered the feed) to its
/// arrival at the subscriber, against the portal's /hubs/runs and the bare baseline hub, in
/// alternating A/B rounds (ABBA, so neither side always runs on the warmer machine).
/// </summary>
public sealed class HubLoadBenchmark(HubLoadOptions options)
{
    public async Task RunAsync(BenchResults results)
    {
        await using var portal = await BenchPortal.StartAsync();
        await using var baseline = await BaselineHubServer.StartAsync();
        var sides = new Dictionary<string, Side>
        {
            ["portal"] = new(() => portal.CreateHubConnection(ClientServerTimeout), (lines, rate, delay) => portal.StartRunAsync(TicksProbe.Kind,
                new { lines = Str(lines), per_second = Str(rate), start_delay_ms = Str((int)delay.TotalMilliseconds) })),
            ["baseline"] = new(() => new HubConnectionBuilder().WithUrl(new Uri(baseline.BaseAddress, "/hubs/runs")).WithServerTimeout(ClientServerTimeout).Build(),
                (lines, rate, delay) => Task.FromResult(baseline.Runs.Start(lines, rate, delay))),
        };

        var most = options.Subscribers.Max();
        foreach (var side in sides.Values)
        {
            side.Connections.AddRange(await ConnectAsync(side.Connect, most));
        }

        try
        {
            // Warm-up (JIT, pools): not reported.
            foreach (var side in sides.Values)
            {
                await RoundAsync(side, Math.Min(50, most), options.Runs, lines: 100, rate: 100, TimeSpan.FromSeconds(1));
            }

            foreach (var subscribers in options.Subscribers)
            {
                var samples = sides.Keys.ToDictionary(k => k, _ => new List<RoundResult>());
                for (var round = 0; round < options.Rounds; round++)
                {
                    var order = round % 2 == 0 ? new[] { "portal", "baseline" } : ["baseline", "portal"];
                    foreach (var name in order)
                    {
                        var r = await RoundAsync(sides[name], subscribers, options.Runs, options.Rate * options.Seconds, options.Rate, StartDelay(subscribers));
                        samples[name].Add(r);
                        results.Detail($"{subscribers} subscribers, round {round + 1}, {name}: {r.Latency} ms, lost {r.Lost} of {r.Expected}, late-attached lines {r.Late}, broken subscriptions {r.Failed}, this process's cpu {r.CpuPercent:0}% of the machine, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
                    }
                }

                Report(results, subscribers, samples["portal"], samples["baseline"]);
            }
        }
        finally
        {
            foreach (var connection in sides.Values.SelectMany(s => s.Connections))
            {
                await connection.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Clients wait this long for a message before giving up on the server (default 30 s): with 2,000
    /// connections on a shared, overloaded 2-core machine, a keep-alive can be late without anything being
    /// wrong with either server. The servers keep their default timeouts.
    /// </summary>
    private static readonly TimeSpan ClientServerTimeout = TimeSpan.FromMinutes(2);

    private void Report(BenchResults results, int subscribers, List<RoundResult> portal, List<RoundResult> baseline)
    {
        var p = Stats.Summarize(portal.SelectMany(r => r.Samples));
        var b = Stats.Summarize(baseline.SelectMany(r => r.Samples));
        var lost = portal.Sum(r => r.Lost);
        var where = $"{subscribers} subscribers on {options.Runs} run(s) at {options.Rate} lines/s";
        results.Add($"hub: {where}, portal", "-", $"p50 {Fmt.Ms(p.P50)}, p95 {Fmt.Ms(p.P95)}, p99 {Fmt.Ms(p.P99)}, lost {lost}", null);
        results.Add($"hub: {where}, bare baseline hub", "-", $"p50 {Fmt.Ms(b.P50)}, p95 {Fmt.Ms(b.P95)}, p99 {Fmt.Ms(b.P99)}, lost {baseline.Sum(r => r.Lost)}", null);
        if (subscribers >= 1000)
        {
            var ratio = p.P99 / b.P99;
            results.Add($"hub: {where}, p99 portal / baseline", "<= 1.25x, nothing lost", $"{Fmt.Ratio(ratio)}, lost {lost}", ratio <= 1.25 && lost == 0);
        }
        else
        {
            results.Add($"hub: {where}, portal p99", "<= 250 ms, nothing lost", $"{Fmt.Ms(p.P99)}, lost {lost}", p.P99 <= 250 && lost == 0);
        }
    }

    private static TimeSpan StartDelay(int subscribers) => TimeSpan.FromMilliseconds(1000 + (subscribers * 3));

    private static string Str(int n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<List<HubConnection>> ConnectAsync(Func<HubConnection> create, int count)
    {
        var connections = new HubConnection[count];
        using var gate = new SemaphoreSlim(16);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                connections[i] = create();
                await connections[i].StartAsync();
            }
            finally
            {
                gate.Release();
            }
        }));
        return [.. connections];
    }

    /// <summary>Starts <paramref name="runs"/> runs, subscribes the first <paramref name="subscribers"/> connections round-robin, waits for every run to end.</summary>
    private static async Task<RoundResult> RoundAsync(Side side, int subscribers, int runs, int lines, int rate, TimeSpan startDelay)
    {
        var runIds = new List<Guid>();
        for (var i = 0; i < runs; i++)
        {
            runIds.Add(await side.StartRun(lines, rate, startDelay));
        }

        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        using var deadline = new CancellationTokenSource(startDelay + TimeSpan.FromSeconds((double)lines / rate + 60));
        var subscriptions = Enumerable.Range(0, subscribers)
            .Select(i => SubscribeAsync(side.Connections[i], runIds[i % runs], deadline.Token)).ToArray();
        var received = await Task.WhenAll(subscriptions);
        var cpuPercent = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / wall.Elapsed.TotalMilliseconds / Environment.ProcessorCount * 100;
        return new RoundResult(
            [.. received.SelectMany(r => r.Latencies)],
            Lost: received.Sum(r => Math.Max(0, lines - r.Outputs)),
            Expected: (long)lines * subscribers,
            Late: received.Sum(r => r.Late),
            Latency: Stats.Summarize(received.SelectMany(r => r.Latencies)),
            CpuPercent: cpuPercent,
            Failed: received.Count(r => r.Failed));
    }

    private static async Task<Received> SubscribeAsync(HubConnection connection, Guid runId, CancellationToken ct)
    {
        var latencies = new List<double>(1024);
        var seen = new HashSet<long>();
        var late = 0;
        var attached = DateTimeOffset.UtcNow;
        try
        {
            if (connection.State == HubConnectionState.Disconnected)
            {
                await connection.StartAsync(ct); // dropped in an earlier round (a starved machine misses keep-alives)
                attached = DateTimeOffset.UtcNow;
            }

            await foreach (var batch in connection.StreamAsync<List<RunEvent>>("StreamRun", runId, 0L, ct))
            {
                var now = DateTimeOffset.UtcNow;
                foreach (var e in batch)
                {
                    if (e.Type != RunEventTypes.Output || !seen.Add(e.Seq))
                    {
                        continue;
                    }

                    if (e.At < attached)
                    {
                        late++; // printed before this subscriber asked: history, not live delivery
                    }
                    else
                    {
                        latencies.Add((now - e.At).TotalMilliseconds);
                    }
                }

                if (batch.Count > 0 && batch[^1].IsTerminal)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Deadline: whatever did not arrive counts as lost.
        }
        catch (Exception ex) when (ex is Microsoft.AspNetCore.SignalR.HubException or InvalidDataException or InvalidOperationException or TimeoutException or System.Net.WebSockets.WebSocketException or IOException or HttpRequestException)
        {
            // The connection died mid-stream: what did not arrive counts as lost, and the failure is counted.
            return new Received(latencies, seen.Count, late, Failed: true);
        }

        return new Received(latencies, seen.Count, late, Failed: false);
    }

    private sealed record Side(Func<HubConnection> Connect, Func<int, int, TimeSpan, Task<Guid>> StartRun)
    {
        public List<HubConnection> Connections { get; } = [];
    }

    private sealed record Received(List<double> Latencies, int Outputs, int Late, bool Failed);

    private sealed record RoundResult(double[] Samples, long Lost, long Expected, int Late, Summary Latency, double CpuPercent, int Failed);
}

public sealed record HubLoadOptions(IReadOnlyList<int> Subscribers, int Runs, int Rate, int Seconds, int Rounds);
