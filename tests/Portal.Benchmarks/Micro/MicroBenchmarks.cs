using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Portal.Benchmarks.Infrastructure;

namespace Portal.Benchmarks.Micro;

/// <summary>
/// (6) BenchmarkDotNet for the hot paths. In-process toolchain: BenchmarkDotNet does not generate
/// and build a project per benchmark (minutes on this shared 2-core machine); the benchmarks run in
/// this Release process with a short job (3 warm-ups, 5-10 iterations).
/// </summary>
public static class MicroBenchmarks
{
    public static void Run(BenchResults results, string artifacts, bool quick)
    {
        var job = Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(3)
            .WithIterationCount(quick ? 3 : 8)
            .WithLaunchCount(1);
        var config = ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddLogger(ConsoleLogger.Default)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddExporter(BenchmarkDotNet.Exporters.MarkdownExporter.GitHub)
            .AddDiagnoser(BenchmarkDotNet.Diagnosers.MemoryDiagnoser.Default)
            .WithArtifactsPath(artifacts)
            .WithOptions(ConfigOptions.DisableLogFile);

        foreach (var type in new[] { typeof(RedactorBenchmarks), typeof(RunOutputBenchmarks), typeof(RuleBenchmarks) })
        {
            var summary = BenchmarkRunner.Run(type, config);
            Add(results, summary);
        }
    }

    private static void Add(BenchResults results, BenchmarkDotNet.Reports.Summary summary)
    {
        foreach (var report in summary.Reports)
        {
            var name = report.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo.Trim('\'');
            if (report.ResultStatistics is not { } stats)
            {
                results.Add(name, "-", "failed to run", false);
                continue;
            }

            var allocated = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase);
            results.Add(name, "-", BenchProgram.Invariant($"{Ns(stats.Mean)}, {allocated ?? 0} B allocated"), null);
        }
    }

    private static string Ns(double ns) => ns >= 1_000_000
        ? BenchProgram.Invariant($"{ns / 1_000_000:0.00} ms")
        : ns >= 1_000 ? BenchProgram.Invariant($"{ns / 1_000:0.00} µs") : BenchProgram.Invariant($"{ns:0.0} ns");
}
