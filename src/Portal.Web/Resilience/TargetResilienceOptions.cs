namespace Portal.Web.Resilience;

/// <summary>The per-target circuit breaker ("Portal:Resilience" section), validated at start-up.</summary>
public sealed class TargetResilienceOptions
{
    /// <summary>Runs against a target within <see cref="SamplingDuration"/> before the breaker may open.</summary>
    public int MinimumThroughput { get; set; } = 3;

    /// <summary>Share of those runs that failed to reach the target for the breaker to open (1.0: every one of them).</summary>
    public double FailureRatio { get; set; } = 1.0;

    /// <summary>The window in which failures are counted.</summary>
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long an open breaker answers at once before one run may test the target again (half-open).</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    public IEnumerable<string> Validate()
    {
        // Polly's own lower bounds, said in the portal's words.
        if (MinimumThroughput < 2)
        {
            yield return "Portal:Resilience:MinimumThroughput must be at least 2.";
        }

        if (FailureRatio is <= 0 or > 1)
        {
            yield return "Portal:Resilience:FailureRatio must be above 0 and at most 1.";
        }

        if (SamplingDuration < TimeSpan.FromMilliseconds(500) || BreakDuration < TimeSpan.FromMilliseconds(500))
        {
            yield return "Portal:Resilience:SamplingDuration and BreakDuration must be at least 00:00:00.5.";
        }
    }
}
