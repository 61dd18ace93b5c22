namespace Portal.Web.Resilience;

/// <summary>What a target's circuit breaker says, for the targets page and the API.</summary>
/// <param name="State">"closed" (runs reach the target), "open" (runs are answered at once without
/// contacting it) or "half-open" (the break is over: the next run tests the target).</param>
/// <param name="OpenSince">When it opened; null while closed.</param>
/// <param name="RetryAt">When an open breaker lets one run test the target again.</param>
/// <param name="LastError">The last failure to reach the target (redacted), e.g. "redis.error=timeout: …".</param>
public sealed record BreakerState(string State, DateTimeOffset? OpenSince, DateTimeOffset? RetryAt, string? LastError, DateTimeOffset? LastErrorAt)
{
    public const string Closed = "closed";
    public const string Open = "open";
    public const string HalfOpen = "half-open";

    public static BreakerState Untouched { get; } = new(Closed, null, null, null, null);
}
