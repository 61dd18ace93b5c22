using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Portal.Probes.Contract;

namespace Portal.Benchmarks.Infrastructure;

/// <summary>
/// The benchmark's test probe: after <c>start_delay_ms</c> (time for subscribers to attach) it prints
/// <c>lines</c> lines at a fixed rate of <c>per_second</c>, each saying when it was printed
/// ("tick 17 at 1764330000123" = Unix ms), then passes. Registered only in benchmark hosts.
/// </summary>
public sealed class TicksProbe : IProbe
{
    public const string Kind = "bench.ticks";

    public ProbeDescriptor Descriptor { get; } = new(
        Kind, "Benchmark ticks", "基准输出", "Prints numbered, time-stamped lines at a fixed rate.", [TargetKind.Host],
        [
            new ProbeParameter("lines", ParameterType.Integer, "How many", Default: "100", Min: 0, Max: 10_000_000),
            new ProbeParameter("per_second", ParameterType.Integer, "Rate", Default: "100", Min: 1, Max: 100_000),
            new ProbeParameter("start_delay_ms", ParameterType.Integer, "Pause before the first line", Default: "0", Min: 0, Max: 120_000),
        ],
        TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(600));

    public async IAsyncEnumerable<ProbeEvent> RunAsync(ProbeRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        var lines = request.GetInt("lines");
        var rate = request.GetInt("per_second");
        await Task.Delay(request.GetInt("start_delay_ms"), ct);
        await foreach (var i in Pace(lines, rate, ct))
        {
            yield return new OutputLine(Line(i));
        }

        yield return new Verdict(VerdictStatus.Pass, $"printed {lines} lines");
    }

    public static string Line(long i) =>
        string.Create(CultureInfo.InvariantCulture, $"tick {i} at {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}");

    /// <summary>
    /// 1..count, item i due at start + i/rate. Deadline-based, so a late timer is caught up with a burst
    /// instead of drifting: the average rate holds even when the machine is busy.
    /// </summary>
    public static async IAsyncEnumerable<long> Pace(long count, int perSecond, [EnumeratorCancellation] CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        for (long i = 1; i <= count; i++)
        {
            var due = TimeSpan.FromSeconds((double)(i - 1) / perSecond);
            var wait = due - clock.Elapsed;
            if (wait >= TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait, ct);
            }

            ct.ThrowIfCancellationRequested();
            yield return i;
        }
    }
}
