using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Portal.Benchmarks.Infrastructure;
using Portal.Web.Runs;

namespace Portal.Benchmarks.Live;

/// <summary>
/// (5b) A probe printing 10,000 lines/s for <c>seconds</c>, watched by two pages: the server's managed
/// heap (this process) sampled every second and after a full GC every 10 s, the pages' long tasks, and
/// the dropped-line count (API and the notice on the page).
/// </summary>
public sealed class FirehoseBenchmark(int seconds)
{
    private const int Rate = 10_000;
    private const int Pages = 2;

    public async Task RunAsync(BenchResults results)
    {
        await using var portal = await BenchPortal.StartAsync();
        await using var browser = await BenchBrowser.LaunchAsync();
        var state = await browser.SignInAsync(portal.BaseAddress, "admin", portal.Host.AdminPassword);
        var lines = Rate * seconds;
        var runId = await portal.StartRunAsync(TicksProbe.Kind, new { lines = Str(lines), per_second = Str(Rate), start_delay_ms = "10000" });
        var opened = await browser.OpenManyAsync(Pages, async () =>
        {
            var (context, page) = await browser.OpenAsync(portal.BaseAddress, $"/probes?run={runId}", state, "[data-testid=theme-toggle]", PageProbe.InitScript);
            await PageProbe.MarkLiveAsync(page);
            return (context, page);
        });

        // Wait for the first lines, then sample.
        var registry = portal.Host.Services.GetRequiredService<RunRegistry>();
        while (registry.Find(runId) is not { LastSeq: > 2 })
        {
            await Task.Delay(50);
        }

        var clock = Stopwatch.StartNew();
        var afterGc = new List<(double At, long Heap)>();
        var peak = 0L;
        var finished = DomLatencyBenchmark.WaitFinishedAsync(portal, runId, TimeSpan.FromSeconds(seconds + 120));
        var nextGc = 10.0;
        while (!finished.IsCompleted)
        {
            await Task.WhenAny(finished, Task.Delay(1_000));
            peak = Math.Max(peak, GC.GetTotalMemory(false));
            if (clock.Elapsed.TotalSeconds >= nextGc && !finished.IsCompleted)
            {
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                afterGc.Add((clock.Elapsed.TotalSeconds, GC.GetTotalMemory(true)));
                nextGc += 10;
            }
        }

        await finished;
        var elapsed = clock.Elapsed.TotalSeconds;
        var run = await portal.GetRunAsync(runId);
        var dropped = run.GetProperty("droppedLines").GetInt64();
        var longest = 0.0;
        var longTasks = 0;
        var noticeShown = true;
        var supported = true;
        foreach (var (context, page) in opened)
        {
            var sample = await PageSample.ReadAsync(page);
            longest = Math.Max(longest, sample.LongTasks.Count > 0 ? sample.LongTasks.Max() : 0);
            longTasks += sample.LongTasks.Count;
            supported &= sample.LongTasksSupported;
            noticeShown &= await page.GetByTestId("run-notice").IsVisibleAsync() || await page.GetByTestId("run-summary").IsVisibleAsync();
            noticeShown &= (await page.GetByTestId("run-viewer").InnerTextAsync()).Contains(dropped.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
            await context.DisposeAsync();
        }

        results.Detail($"{lines:N0} lines printed in {elapsed:0.0} s ({lines / elapsed:N0}/s); heap after full GC: {string.Join(", ", afterGc.Select(g => $"{g.At:0}s {Fmt.Mb(g.Heap)}"))}; peak sampled {Fmt.Mb(peak)}");
        // Flat: after warm-up (the first sample) the heap after a full GC does not keep growing.
        var warm = afterGc.Count > 1 ? afterGc[1].Heap : afterGc.FirstOrDefault().Heap;
        var last = afterGc.Count > 0 ? afterGc[^1].Heap : 0;
        var growth = warm == 0 ? double.NaN : (double)(last - warm) / warm;
        results.Add($"firehose {Rate:N0} lines/s for {seconds} s: server heap after warm-up", "flat (< 10% growth)",
            $"{Fmt.Mb(warm)} at {(afterGc.Count > 1 ? afterGc[1].At : 0):0} s -> {Fmt.Mb(last)} at end ({growth * 100:+0;-0}%)", growth < 0.10);
        results.Add($"firehose: browser long tasks ({Pages} pages)", "< 100 ms", $"longest {longest:0} ms ({longTasks} long tasks)", supported ? longest < 100 : null, supported ? "" : "this Chromium does not report long tasks");
        results.Add("firehose: dropped lines counted and shown", "counted and shown", $"{dropped:N0} dropped of {lines:N0}; shown on the page: {(noticeShown ? "yes" : "no")}", dropped > 0 && noticeShown);
    }

    private static string Str(int n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
