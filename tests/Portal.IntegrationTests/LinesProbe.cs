using System.Globalization;
using System.Runtime.CompilerServices;
using Portal.Probes.Contract;

namespace Portal.IntegrationTests;

/// <summary>
/// A probe for testing the runner itself: prints `lines` numbered lines, `every_ms` apart, plants
/// the target's password in its output, then passes. Registered only in test hosts.
/// </summary>
public sealed class LinesProbe : IProbe
{
    public ProbeDescriptor Descriptor { get; } = new(
        "test.lines", "Test lines", "测试输出", "Prints numbered lines.", [TargetKind.Host],
        [
            new ProbeParameter("lines", ParameterType.Integer, "How many", Default: "10", Min: 0, Max: 1_000_000),
            new ProbeParameter("every_ms", ParameterType.Integer, "Pause between lines", Default: "0", Min: 0, Max: 1000),
            new ProbeParameter("api_key", ParameterType.String, "A secret", Secret: true),
            new ProbeParameter("no_verdict", ParameterType.Boolean, "Misbehave", Default: "false"),
        ],
        TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(120));

    public async IAsyncEnumerable<ProbeEvent> RunAsync(ProbeRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        var lines = request.GetInt("lines");
        var every = request.GetInt("every_ms");
        yield return new OutputLine($"password is {request.Target.Password?.Reveal()} and api_key is {request.GetOptional("api_key")}");
        yield return new Finding("test.secret_seen", request.Target.Password?.Reveal() ?? "none");
        for (var i = 1; i <= lines; i++)
        {
            if (every > 0)
            {
                await Task.Delay(every, ct);
            }

            yield return new OutputLine("line " + i.ToString(CultureInfo.InvariantCulture));
        }

        if (!request.GetBool("no_verdict"))
        {
            yield return new Verdict(VerdictStatus.Pass, $"printed {lines} lines");
        }
    }
}
