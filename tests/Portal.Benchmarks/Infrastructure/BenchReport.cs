using System.Text;

namespace Portal.Benchmarks.Infrastructure;

/// <summary>Writes docs/benchmarks.md: how each number is measured, then the table of this run with machine, commit and date.</summary>
public static class BenchReport
{
    private static readonly string[] Order = ["hub", "live", "circuits", "probes", "search", "sweep", "micro"];

    public static async Task WriteAsync(string resultsDir, string docPath)
    {
        var sections = new List<(string Name, List<BenchRow> Rows, List<string> Details)>();
        foreach (var name in Order)
        {
            var file = Path.Combine(resultsDir, name + ".json");
            if (File.Exists(file))
            {
                var (rows, details) = await BenchResults.LoadAsync(file);
                sections.Add((name, rows, details));
            }
        }

        var md = new StringBuilder();
        md.AppendLine("# Benchmarks").AppendLine();
        md.AppendLine("Reproduce with `scripts/bench.sh` (all parts, about 10-15 minutes) or `scripts/bench.sh hub live` (some parts).");
        md.AppendLine("The numbers below are from the last full run; each run rewrites this file.").AppendLine();
        md.AppendLine("## This run").AppendLine();
        md.AppendLine($"- Date: {Env("BENCH_DATE", DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture))}");
        md.AppendLine($"- Commit: `{Env("BENCH_COMMIT", "unknown")}`");
        md.AppendLine($"- Machine: {Env("BENCH_MACHINE", $"{Environment.ProcessorCount} cores")}; .NET {Environment.Version}");
        md.AppendLine($"- Load average at start / end: {Env("BENCH_LOAD_START", "?")} / {Env("BENCH_LOAD_END", "?")}");
        md.AppendLine("- **The machine is shared**: up to 7 other engineers compile and test on the same 2 cores while this runs. Absolute");
        md.AppendLine("  times move with their load; the targets that compare against a baseline measured in the same run, alternating");
        md.AppendLine("  A and B, are the ones to trust. Run on a quiet machine for absolute numbers.").AppendLine();

        md.AppendLine("## Results").AppendLine();
        md.AppendLine("| part | what | target | measured | |");
        md.AppendLine("|---|---|---|---|---|");
        foreach (var (name, rows, _) in sections)
        {
            foreach (var row in rows)
            {
                var verdict = row.Pass switch { true => "pass", false => "**miss**", null => "" };
                md.AppendLine($"| {name} | {Cell(row.What)} | {Cell(row.Target)} | {Cell(row.Measured)}{(row.Note.Length > 0 ? " — " + Cell(row.Note) : "")} | {verdict} |");
            }
        }

        md.AppendLine().AppendLine(Method).AppendLine();
        md.AppendLine("## Details of this run").AppendLine();
        foreach (var (name, _, details) in sections.Where(s => s.Details.Count > 0))
        {
            md.AppendLine($"### {name}").AppendLine().AppendLine("```");
            foreach (var line in details)
            {
                md.AppendLine(line);
            }

            md.AppendLine("```").AppendLine();
        }

        var extra = Path.Combine(Path.GetDirectoryName(docPath) ?? ".", "benchmarks-notes.md");
        if (File.Exists(extra))
        {
            md.AppendLine(await File.ReadAllTextAsync(extra));
        }

        await File.WriteAllTextAsync(docPath, md.ToString().TrimEnd() + "\n");
        Console.WriteLine($"wrote {docPath}");
    }

    private static string Env(string name, string fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    private const string Method = """
        ## Method

        Everything runs from `tests/Portal.Benchmarks` (a console program in Portal.sln, not part of `scripts/test.sh`).
        `scripts/bench.sh` builds Release, starts its own PostgreSQL and Redis through `scripts/lib/local-services.sh`
        on ports of its own (default 45432 / 46379), runs each part as a separate process (so one part's heap and
        threads do not disturb the next) and writes this file. Every portal below is the real `Program.cs` on a
        real Kestrel loopback port (`tests/Portal.Testing` `PortalHost`, its own database), with one extra probe,
        `bench.ticks`, that prints time-stamped lines at a fixed, deadline-paced rate.

        - **hub**: N SignalR clients (JSON protocol, WebSockets) each call `StreamRun(runId, 0)` on one run that prints
          100 lines/s for 8 s. Latency = arrival at the client minus the event's server timestamp (`RunEvent.At`,
          set when the event enters the run's feed); lines printed before a client's subscription went out are
          history, not live delivery, and are left out of latency but not of the lost count. Lost = lines of the
          run a client never received. The baseline is a bare ASP.NET Core app in the benchmark project
          (`Hub/BaselineHubServer.cs`): the same `StreamRun` contract, the same `RunEvent` type, the same
          `RunFeed` ring and the same batching (one batch per 100 ms, the last batch at once), without auth,
          database, redaction or logging. Both servers and all clients live in one process; rounds alternate
          portal/baseline in ABBA order. Two rounds per side at 1,000 subscribers, two at 200.
        - **live**: 20 Chromium pages (Playwright, Debian's `/usr/bin/chromium`, headless) signed in and open on
          `/probes?run={id}` while the run prints 20 lines/s; a `MutationObserver` in each page records, for every
          `.portal-line` added to the DOM, `Date.now()` minus the Unix ms the probe wrote into the line. The
          firehose: one run printing 10,000 lines/s for 60 s watched by 2 pages; the server's managed heap is
          sampled every second (in-process: `GC.GetTotalMemory(false)`, and after a forced full GC at the end of
          each 10 s window), the pages record `longtask` entries (PerformanceObserver), and the dropped-line count
          comes from `GET /api/runs/{id}` and the notice on the page.
        - **circuits**: N Chromium contexts each open a page and stay idle; then a forced, compacting full GC
          (`GC.Collect(2, Forced, blocking, compacting)` twice, with pending finalizers) and
          `GC.GetTotalMemory(true)`. The servers run inside the benchmark process, so the heap is read in process
          (no dotnet-gcdump needed, and it is exact); what Playwright's .NET client itself keeps per context is
          measured the same way with N `about:blank` contexts and subtracted. Portal: an open incident
          (walkthrough) page `/incidents/{id}`. Baseline: the Blazor Web App template's Counter page, as a tiny
          app in the benchmark project (`Circuits/CounterApp`). Per circuit = (heap with N circuits − heap
          before) / N.
        - **probes**: the same local targets (the bench PostgreSQL and Redis, the portal's own `/health/live`
          over HTTP, and a TLS listener with a self-signed certificate) are checked N times each by the portal
          (`POST /api/runs`, then `StreamRun` on an open hub connection until the run's last event: what an
          engineer's open page waits for) and by the guide's commands, each a new process as an engineer would
          type them (`redis-cli ping`, `redis-cli info memory`, `psql -c 'select 1'`, `curl -sS -o /dev/null -w
          '%{http_code}'`): process start included. `prometheus-blackbox-exporter` runs as a private process on a
          free port with a generated config; it is asked over HTTP (`/probe?module=...&target=...`), as Prometheus
          would, and its answers (success, HTTP status, TLS version, certificate expiry) are compared with the
          portal's findings.
        - **search**: the guide's runbooks cloned into 10,000 versions with varied titles and symptoms (real
          document size), stored in the portal's database; ten queries (Chinese, English, broad, rare, none) are
          timed through each `IRunbookSearchSubject` (`Search/IRunbookSearchSubject.cs`): today the catalog read
          plus the in-memory filter, in process and through `GET /api/runbooks?q=`. The PostgreSQL search of the
          runbook editor work plugs in there.
        - **sweep**: `POST /api/triage` then `GET` until done, through the API: a healthy environment, then with one HTTP target that accepts and never answers.
        - **micro**: BenchmarkDotNet 0.15.8, in-process toolchain, short job (3 warm-ups, 8 iterations),
          MemoryDiagnoser: redaction (`Redactor`), output buffering (`RunOutput` into `RunFeed`, a viewer's batch
          read), rule evaluation (`Condition.Evaluate`, `WalkthroughEngine.Recommend`). Full tables in
          `.local/bench/results/bdn/`.
        """;
}
