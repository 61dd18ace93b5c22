namespace Portal.Benchmarks.Live;

/// <summary>
/// Script added to every benchmark page before the portal's own: records, per output line, when it
/// first showed up in the DOM (against the Unix ms the probe wrote into it), and every long task.
/// Virtualize may reuse a row element for a new line, so text changes count as arrivals too.
/// </summary>
public static class PageProbe
{
    public const string InitScript = """
        (() => {
          // from: set by the benchmark once the page is interactive; lines printed and tasks run before it
          // are the page loading (history, start-up), not live delivery.
          const bench = window.__bench = { seen: {}, longTasks: [], from: Infinity };
          try {
            new PerformanceObserver(list => {
              for (const e of list.getEntries()) bench.longTasks.push([performance.timeOrigin + e.startTime, e.duration]);
            })
              .observe({ type: 'longtask', buffered: true });
          } catch { bench.longTasks = null; }
          const record = (el, now) => {
            if (!el || !el.classList || !el.classList.contains('portal-line')) return;
            const m = /tick (\d+) at (\d+)$/.exec(el.textContent || '');
            if (m && !(m[1] in bench.seen)) bench.seen[m[1]] = Number(m[2]) >= bench.from ? now - Number(m[2]) : null;
          };
          const watch = () => new MutationObserver(mutations => {
            const now = Date.now();
            for (const m of mutations) {
              if (m.type === 'characterData') { record(m.target.parentElement, now); continue; }
              record(m.target, now);
              for (const n of m.addedNodes) {
                if (n.nodeType !== 1) continue;
                record(n, now);
                for (const el of n.querySelectorAll('.portal-line')) record(el, now);
              }
            }
          }).observe(document, { childList: true, subtree: true, characterData: true });
          watch();
        })();
        """;

    /// <summary>Read back: line number -> ms from print to DOM, and long task durations.</summary>
    public const string Collect = """
        () => {
          const b = window.__bench;
          return {
            latencies: Object.values(b.seen).filter(v => v !== null),
            history: Object.values(b.seen).filter(v => v === null).length,
            longTasks: (b.longTasks || []).filter(t => t[0] >= b.from).map(t => t[1]),
            longTasksSupported: b.longTasks !== null,
          };
        }
        """;

    /// <summary>From now on, lines and long tasks count.</summary>
    public static Task MarkLiveAsync(Microsoft.Playwright.IPage page) => page.EvaluateAsync("() => { window.__bench.from = Date.now(); }");
}

/// <summary>What <see cref="PageProbe.Collect"/> returns (read as JSON: Playwright's own binder does not fill lists).</summary>
public sealed class PageSample
{
    public List<double> Latencies { get; } = [];

    public List<double> LongTasks { get; } = [];

    public bool LongTasksSupported { get; private init; }

    /// <summary>Lines printed before the page was marked live (seen as history).</summary>
    public int History { get; private init; }

    public static async Task<PageSample> ReadAsync(Microsoft.Playwright.IPage page)
    {
        var json = await page.EvaluateAsync<System.Text.Json.JsonElement>(PageProbe.Collect);
        var sample = new PageSample
        {
            LongTasksSupported = json.GetProperty("longTasksSupported").GetBoolean(),
            History = json.GetProperty("history").GetInt32(),
        };
        sample.Latencies.AddRange(json.GetProperty("latencies").EnumerateArray().Select(e => e.GetDouble()));
        sample.LongTasks.AddRange(json.GetProperty("longTasks").EnumerateArray().Select(e => e.GetDouble()));
        return sample;
    }
}
