using Portal.Benchmarks.Infrastructure;

namespace Portal.Benchmarks.Sweep;

/// <summary>
/// Triage sweep timing: a healthy local environment (target &lt;= 1 s) and the same with one target
/// black-holed (target &lt;= that target's time limit + 0.5 s).
/// TODO(issue 8, triage sweeps): the sweep is being built on another branch. After the merge,
/// implement <see cref="ISweepSubject"/> over the sweep service (start a sweep of an environment, wait
/// for its ranked result), return it from <see cref="Create"/>, and black-hole a target with a
/// listener that accepts nothing (a TcpListener with backlog full, or an unrouted port).
/// </summary>
public static class SweepBenchmark
{
    /// <summary>The sweep to time; null until the triage sweep exists on this branch.</summary>
    public static ISweepSubject? Create() => null;

    public static Task RunAsync(BenchResults results)
    {
        if (Create() is null)
        {
            results.Add("triage sweep of a healthy local environment", "<= 1 s", "not measured: the sweep (issue 8) has not landed (TODO hook in Sweep/SweepBenchmark.cs)", null);
            results.Add("triage sweep with one target black-holed", "<= time limit + 0.5 s", "not measured (same TODO)", null);
        }

        return Task.CompletedTask;
    }
}

/// <summary>One sweep of an environment, end to end, as the benchmark sees it.</summary>
public interface ISweepSubject
{
    /// <summary>Sweeps <paramref name="environment"/> and returns when the ranked result is complete.</summary>
    Task SweepAsync(string environment, CancellationToken ct);
}
