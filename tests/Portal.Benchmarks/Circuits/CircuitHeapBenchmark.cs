using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Portal.Benchmarks.Circuits.CounterApp;
using Portal.Benchmarks.Infrastructure;

namespace Portal.Benchmarks.Circuits;

/// <summary>
/// (2) Managed heap per idle circuit: N Chromium contexts on the portal's walkthrough (incident) page
/// vs N on the Blazor template's Counter page. Both servers run in this process, so the heap is read
/// in process after a forced, compacting full GC: exact, and no dump of a process we would have to
/// find. Playwright's own per-context objects (also in this process) are measured with about:blank
/// pages and subtracted.
/// </summary>
public sealed class CircuitHeapBenchmark(int circuits)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

    public async Task RunAsync(BenchResults results)
    {
        await using var browser = await BenchBrowser.LaunchAsync();

        // Playwright client overhead per context+page (nothing served).
        var overhead = await MeasureAsync(browser, circuits, () => BlankAsync(browser));
        results.Detail($"Playwright client objects per context: {Fmt.Kb(overhead)}");

        double portalPer;
        await using (var portal = await BenchPortal.StartAsync())
        {
            using var create = await portal.Client.PostAsJsonAsync("/api/incidents", new { runbook = "redis-connection", environment = "local" });
            create.EnsureSuccessStatusCode();
            var incident = (await create.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("incidentId").GetString();
            var state = await browser.SignInAsync(portal.BaseAddress, "admin", portal.Host.AdminPassword);
            // Warm-up: the first page pays for JIT and caches; not counted.
            var (warm, _) = await browser.OpenAsync(portal.BaseAddress, $"/incidents/{incident}", state, "[data-testid=theme-toggle]");
            await warm.DisposeAsync();
            portalPer = await MeasureAsync(browser, circuits, () => browser.OpenAsync(portal.BaseAddress, $"/incidents/{incident}", state, "[data-testid=theme-toggle]")) - overhead;
        }

        double counterPer;
        await using (var counter = await CounterAppServer.StartAsync())
        {
            var (warm, _) = await browser.OpenAsync(counter.BaseAddress, "/counter", null, "button.btn-primary");
            await warm.DisposeAsync();
            counterPer = await MeasureAsync(browser, circuits, () => browser.OpenAsync(counter.BaseAddress, "/counter", null, "button.btn-primary")) - overhead;
        }

        var ratio = portalPer / counterPer;
        results.Add($"heap per idle circuit, walkthrough page /incidents/{{id}} ({circuits} circuits)", "<= 250 KB", Fmt.Kb(portalPer), portalPer <= 250 * 1024);
        results.Add($"heap per idle circuit, Blazor template Counter page ({circuits} circuits)", "-", Fmt.Kb(counterPer), null);
        results.Add("heap per idle circuit, walkthrough / template counter", "<= 2x", Fmt.Ratio(ratio), ratio <= 2);
    }

    private static async Task<(IBrowserContext, IPage)> BlankAsync(BenchBrowser browser)
    {
        var context = await browser.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        return (context, page);
    }

    /// <summary>Heap growth per opened page, with all pages open and idle.</summary>
    private static async Task<double> MeasureAsync(BenchBrowser browser, int count, Func<Task<(IBrowserContext, IPage)>> open)
    {
        var before = FullGcHeap();
        var opened = await browser.OpenManyAsync(count, open);
        await Task.Delay(Settle); // idle: first-render follow-ups (JS interop, timers) done
        var after = FullGcHeap();
        Console.WriteLine($"  heap {Fmt.Mb(before)} -> {Fmt.Mb(after)} with {count} pages");
        if (int.TryParse(Environment.GetEnvironmentVariable("BENCH_HOLD_SECONDS"), out var hold) && hold > 0)
        {
            // For a look inside: `dotnet-gcdump collect -p <pid>` while the pages are still open.
            Console.WriteLine($"  holding {hold} s with the pages open (pid {Environment.ProcessId})");
            await Task.Delay(TimeSpan.FromSeconds(hold));
        }

        foreach (var (context, _) in opened)
        {
            await context.DisposeAsync();
        }

        return (double)(after - before) / count;
    }

    private static long FullGcHeap()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
