using System.Globalization;
using Portal.Benchmarks.Circuits;
using Portal.Benchmarks.Hub;
using Portal.Benchmarks.Infrastructure;
using Portal.Benchmarks.Live;
using Portal.Benchmarks.Micro;
using Portal.Benchmarks.Probes;
using Portal.Benchmarks.Search;
using Portal.Benchmarks.Sweep;

namespace Portal.Benchmarks;

/// <summary>
/// Entry point: one benchmark per command, each writing its rows to the results folder; `report`
/// turns the folder into docs/benchmarks.md. scripts/bench.sh runs them all with local services.
/// </summary>
public static class BenchProgram
{
    private const string Usage = """
        Usage: Portal.Benchmarks <command> [--out DIR] [--quick]
          hub        SignalR fan-out: portal /hubs/runs vs a bare baseline hub (A/B rounds)
          circuits   managed heap per idle circuit: walkthrough page vs the Blazor template counter
          live       probe line -> browser DOM latency (20 pages); a 10,000 lines/s firehose
          probes     probes vs redis-cli / psql / curl, and vs prometheus-blackbox-exporter
          search     runbook search over 10,000 generated runbooks
          sweep      triage sweep, healthy and with one target black-holed
          micro      BenchmarkDotNet: redaction, output buffering, rule evaluation
          report     write docs/benchmarks.md from the results folder (--doc PATH)
        Needs PORTAL_TEST_PG / PORTAL_TEST_REDIS / PORTAL_TEST_CHROMIUM like the tests (scripts/bench.sh sets them).
        """;

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        var command = args[0];
        var outDir = Path.GetFullPath(Option(args, "--out") ?? Path.Combine(".local", "bench", "results"));
        var doc = Path.GetFullPath(Option(args, "--doc") ?? Path.Combine("docs", "benchmarks.md"));
        // WebApplicationFactory finds the portal's content root through MvcTestingAppManifest.json in the
        // current directory (as under dotnet test); paths given on the command line are resolved above.
        Directory.SetCurrentDirectory(AppContext.BaseDirectory);
        var quick = args.Contains("--quick");
        var results = new BenchResults(command);
        try
        {
            switch (command)
            {
                case "hub":
                    await new HubLoadBenchmark(quick
                        ? new HubLoadOptions([100, 200], Runs: 1, Rate: 100, Seconds: 3, Rounds: 2)
                        : new HubLoadOptions([1000, 200], Runs: 1, Rate: 100, Seconds: 8, Rounds: 2)).RunAsync(results);
                    break;
                case "circuits":
                    await new CircuitHeapBenchmark(quick ? 20 : 100).RunAsync(results);
                    break;
                case "live":
                    await new DomLatencyBenchmark(pages: quick ? 5 : 20, seconds: quick ? 5 : 15).RunAsync(results);
                    await new FirehoseBenchmark(seconds: quick ? 10 : 60).RunAsync(results);
                    break;
                case "probes":
                    await new CliComparisonBenchmark(quick ? 5 : 20).RunAsync(results);
                    break;
                case "search":
                    await new SearchBenchmark(quick ? 1_000 : 10_000, 10).RunAsync(results);
                    break;
                case "sweep":
                    await SweepBenchmark.RunAsync(results, quick ? 3 : 10);
                    break;
                case "micro":
                    MicroBenchmarks.Run(results, Path.Combine(outDir, "bdn"), quick);
                    break;
                case "report":
                    await BenchReport.WriteAsync(outDir, doc);
                    return 0;
                default:
                    Console.Error.WriteLine($"unknown command '{command}'\n{Usage}");
                    return 2;
            }
        }
        catch (Exception ex)
        {
            // A benchmark that cannot run still leaves a row saying why, so the report shows the gap.
            Console.Error.WriteLine(ex);
            results.Add($"{command}: did not complete", "-", "error: " + ex.GetType().Name + ": " + FirstLine(ex.Message), false);
            await results.SaveAsync(outDir, command);
            return 1;
        }

        await results.SaveAsync(outDir, command);
        return 0;
    }

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    internal static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
