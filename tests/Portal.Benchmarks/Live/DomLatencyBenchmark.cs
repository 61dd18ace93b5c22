using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Portal.Benchmarks.Infrastructure;
using Portal.Web.Runs;

namespace Portal.Benchmarks.Live;

/// <summary>
/// (5a) Probe line -> browser DOM: <c>pages</c> Chromium pages open on /probes?run={id} while the run
/// prints 20 lines/s; each line carries the Unix ms it was printed, each page records when it appeared.
/// </summary>
public sealed class DomLatencyBenchmark(int pages, int seconds)
{
    private const int Rate = 20;

    public async Task RunAsync(BenchResults results)
    {
        await using var portal = await BenchPortal.StartAsync();
        await using var browser = await BenchBrowser.LaunchAsync();
        var state = await browser.SignInAsync(portal.BaseAddress, "admin", portal.Host.AdminPassword);

        // Warm-up run and page (JIT), not counted.
        var warmRun = await portal.StartRunAsync(TicksProbe.Kind, new { lines = "20", per_second = "20" });
        var (warm, _) = await browser.OpenAsync(portal.BaseAddress, $"/probes?run={warmRun}", state, "[data-testid=theme-toggle]", PageProbe.InitScript);
        await warm.DisposeAsync();

        var delayMs = 5_000 + (pages * 1_500);
        var lines = Rate * seconds;
        var runId = await portal.StartRunAsync(TicksProbe.Kind, new { lines = Str(lines), per_second = Str(Rate), start_delay_ms = Str(delayMs) });
        var clock = Stopwatch.StartNew();
        var opened = await browser.OpenManyAsync(pages, async () =>
        {
            var (context, page) = await browser.OpenAsync(portal.BaseAddress, $"/probes?run={runId}", state, "[data-testid=theme-toggle]", PageProbe.InitScript);
            await PageProbe.MarkLiveAsync(page);
            return (context, page);
        });
        var ready = clock.Elapsed;
        results.Detail($"{pages} pages open after {ready.TotalSeconds:0.0} s (lines start at {delayMs / 1000.0:0.0} s)");
        await WaitFinishedAsync(portal, runId, TimeSpan.FromMilliseconds(delayMs) + TimeSpan.FromSeconds(seconds + 60));
        await Task.Delay(1_000); // the last batch reaches the pages

        var latencies = new List<double>();
        var missing = 0;
        var history = 0;
        var longest = 0.0;
        foreach (var (context, page) in opened)
        {
            var sample = await PageSample.ReadAsync(page);
            latencies.AddRange(sample.Latencies);
            missing += lines - sample.Latencies.Count - sample.History;
            history += sample.History;
            longest = Math.Max(longest, sample.LongTasks.Count > 0 ? sample.LongTasks.Max() : 0);
            await context.DisposeAsync();
        }

        var s = Stats.Summarize(latencies);
        results.Detail($"line -> DOM: {s} ms over {pages} pages; lines printed before a page was live (history, not counted): {history}; lines never in the DOM (virtualized away): {missing}; longest task after start {longest:0} ms");
        results.Add($"probe line -> browser DOM, {pages} pages, {Rate} lines/s", "p99 <= 150 ms",
            $"p50 {Fmt.Ms(s.P50)}, p95 {Fmt.Ms(s.P95)}, p99 {Fmt.Ms(s.P99)}", s.P99 <= 150, $"{s.Count} line arrivals");
    }

    internal static async Task WaitFinishedAsync(BenchPortal portal, Guid runId, TimeSpan limit)
    {
        using var deadline = new CancellationTokenSource(limit);
        var stream = portal.Host.Services.GetRequiredService<RunStream>();
        await foreach (var _ in stream.ReadAsync(runId, 0, TimeSpan.FromMilliseconds(500), deadline.Token))
        {
        }
    }

    private static string Str(int n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
