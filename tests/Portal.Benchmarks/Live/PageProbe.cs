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
          const bench = window.__bench = { seen: {}, longTasks: [] };
          try {
            new PerformanceObserver(list => { for (const e of list.getEntries()) bench.longTasks.push(e.duration); })
              .observe({ type: 'longtask', buffered: true });
          } catch { bench.longTasks = null; }
          const record = (el, now) => {
            if (!el || !el.classList || !el.classList.contains('portal-line')) return;
            const m = /tick (\d+) at (\d+)$/.exec(el.textContent || '');
            if (m && !(m[1] in bench.seen)) bench.seen[m[1]] = now - Number(m[2]);
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
    public const string Collect = "() => ({ seen: window.__bench.seen, longTasks: window.__bench.longTasks })";
}

/// <summary>What <see cref="PageProbe.Collect"/> returns.</summary>
public sealed class PageSample
{
    public Dictionary<string, double> Seen { get; set; } = [];

    public List<double>? LongTasks { get; set; }
}
