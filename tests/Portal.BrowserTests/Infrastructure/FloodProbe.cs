using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Portal.Probes.Contract;

namespace Portal.BrowserTests.Infrastructure;

/// <summary>
/// A probe that floods: `per_second` numbered lines a second for `seconds` seconds (in slices of 10 ms, paced by the
/// clock, so a slow consumer does not slow it down), then passes. Registered only in the browser tests' portal.
/// </summary>
public sealed class FloodProbe : IProbe
{
    public const string Kind = "test.flood";

    public ProbeDescriptor Descriptor { get; } = new(
        Kind, "Test flood", "测试大量输出", "Prints many lines a second.", [TargetKind.Host],
        [
            new ProbeParameter("per_second", ParameterType.Integer, "Lines a second", Default: "10000", Min: 1, Max: 100_000),
            new ProbeParameter("seconds", ParameterType.Integer, "For how long", Default: "3", Min: 1, Max: 30),
        ],
        TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60));

    public async IAsyncEnumerable<ProbeEvent> RunAsync(ProbeRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        var perSecond = request.GetInt("per_second");
        var total = perSecond * request.GetInt("seconds");
        var clock = Stopwatch.StartNew();
        var printed = 0;
        while (printed < total)
        {
            // Catch up with the clock: as many lines as should exist by now.
            var due = Math.Min(total, (int)(clock.Elapsed.TotalSeconds * perSecond) + 1);
            for (; printed < due; printed++)
            {
                yield return new OutputLine($"flood line {(printed + 1).ToString(CultureInfo.InvariantCulture)} of {total.ToString(CultureInfo.InvariantCulture)}");
            }

            await Task.Delay(10, ct);
        }

        yield return new Metric("test.flood.lines_per_second", total / clock.Elapsed.TotalSeconds, "lines/s");
        yield return new Verdict(VerdictStatus.Pass, $"printed {total} lines in {clock.Elapsed.TotalSeconds:0.0} s");
    }
}
