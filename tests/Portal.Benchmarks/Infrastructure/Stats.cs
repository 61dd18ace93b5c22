namespace Portal.Benchmarks.Infrastructure;

/// <summary>Percentiles of a sample by nearest rank (no interpolation: every reported value was measured).</summary>
public static class Stats
{
    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    public static Summary Summarize(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return new Summary(sorted.Length, Percentile(sorted, 50), Percentile(sorted, 95), Percentile(sorted, 99),
            sorted.Length == 0 ? double.NaN : sorted[^1]);
    }
}

/// <summary>Count and p50/p95/p99/max of a sample (milliseconds unless said otherwise).</summary>
public sealed record Summary(int Count, double P50, double P95, double P99, double Max)
{
    public override string ToString() =>
        FormattableString.Invariant($"n={Count} p50={P50:0.0} p95={P95:0.0} p99={P99:0.0} max={Max:0.0}");
}
