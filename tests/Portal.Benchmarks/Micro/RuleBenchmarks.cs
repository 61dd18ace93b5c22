using BenchmarkDotNet.Attributes;
using Portal.Runbooks.Engine;
using Portal.Runbooks.Model;
using Portal.Runbooks.Seed;

namespace Portal.Benchmarks.Micro;

/// <summary>Rule evaluation: branch conditions over a probe's findings, and a whole recommendation for a step of a guide runbook.</summary>
[MemoryDiagnoser]
public class RuleBenchmarks
{
    private readonly Dictionary<string, string> _findings = new(StringComparer.Ordinal)
    {
        ["http.status"] = "503",
        ["http.error"] = "",
        ["http.latency.p95_ms"] = "2412.5",
        ["http.health.status"] = "unhealthy",
        ["redis.memory.used_pct"] = "96.2",
    };

    private Condition _simple = null!;
    private Condition _compound = null!;
    private RunbookContent _runbook = null!;
    private RunbookStep _step = null!;

    [GlobalSetup]
    public void Setup()
    {
        _simple = Condition.Parse("redis.memory.used_pct >= 95");
        _compound = Condition.Parse("http.error exists || http.health.status == unhealthy || http.status >= 500");
        (_runbook, _step) = GuideSeeder.LoadRunbooks()
            .Select(d => d.ToContent())
            .SelectMany(c => c.Steps.Where(s => s.Kind == StepKind.Probe && s.Rules.Count > 0).Select(s => (c, s)))
            .OrderByDescending(x => x.s.Rules.Count)
            .First();
    }

    [Benchmark(Baseline = true, Description = "Condition.Evaluate: one comparison")]
    public bool Simple() => _simple.Evaluate("fail", _findings);

    [Benchmark(Description = "Condition.Evaluate: three alternatives")]
    public bool Compound() => _compound.Evaluate("fail", _findings);

    [Benchmark(Description = "WalkthroughEngine.Recommend: the guide step with the most rules")]
    public Recommendation Recommend() => WalkthroughEngine.Recommend(_runbook, _step.Id, StepOutcome.Probe("fail", _findings));
}
