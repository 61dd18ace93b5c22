using Portal.Probes.Contract;
using Portal.Probes.Network;

namespace Portal.Probes.Tests;

/// <summary>Runs a probe the way the runner will: validated parameters, a time limit, every event collected.</summary>
public static class ProbeHarness
{
    public static ProbeTarget LocalTarget(TargetKind kind, string name = "test", string? host = "127.0.0.1", int? port = null) => new()
    {
        Environment = "test",
        Name = name,
        Role = name,
        Kind = kind,
        Host = host,
        Port = port,
        AllowLoopback = true,
    };

    public static async Task<ProbeResult> RunAsync(
        IProbe probe, ProbeTarget target, Dictionary<string, string?>? parameters = null, TimeSpan? timeout = null, NetworkGuard? guard = null)
    {
        var validation = ParameterValidator.Validate(probe.Descriptor, parameters);
        Assert.True(validation.IsValid, "invalid parameters: " + string.Join("; ", validation.Errors.Values));
        var limit = timeout ?? probe.Descriptor.DefaultTimeout;
        using var cts = new CancellationTokenSource(limit);
        var request = new ProbeRequest { Target = target, Parameters = validation.Values, Network = guard ?? new NetworkGuard(), Timeout = limit };
        var events = new List<ProbeEvent>();
        await foreach (var e in probe.RunAsync(request, cts.Token))
        {
            events.Add(e);
        }

        return new ProbeResult(events);
    }
}

public sealed record ProbeResult(IReadOnlyList<ProbeEvent> Events)
{
    /// <summary>The contract: exactly one verdict, and it is last.</summary>
    public Verdict Verdict
    {
        get
        {
            Assert.Single(Events.OfType<Verdict>());
            return Assert.IsType<Verdict>(Events[^1]);
        }
    }

    public IReadOnlyDictionary<string, string> Findings =>
        Events.OfType<Finding>().GroupBy(f => f.Key).ToDictionary(g => g.Key, g => g.Last().Value);

    public string Output => string.Join('\n', Events.OfType<OutputLine>().Select(l => l.Text));

    public IEnumerable<Metric> Metrics => Events.OfType<Metric>();
}
