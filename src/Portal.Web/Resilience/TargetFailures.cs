using Polly.Timeout;

namespace Portal.Web.Resilience;

/// <summary>
/// Decides which runs count against a target's circuit breaker.
/// </summary>
/// <remarks>
/// Only failures to REACH the target count: connection refused, connect or read timeouts, resets,
/// a server closing the connection, an unreachable host, and runs that hit their time limit
/// because the target kept them waiting. A probe that reached the target and found a problem (a
/// wrong password, maxmemory reached, a slow query, HTTP 500, a failed health check) ran fine:
/// the server answered, so asking it again does not hurt it, and the engineer needs those answers.
/// DNS failures and policy refusals do not count either: there is no server being hammered.
/// A probe that threw is the probe's bug, not the target's fault.
/// </remarks>
public static class TargetFailures
{
    /// <summary>Values of "*.error" findings that mean the target could not be reached (the probes' shared vocabulary).</summary>
    public static IReadOnlySet<string> Unreachable { get; } =
        new HashSet<string>(StringComparer.Ordinal) { "refused", "timeout", "unreachable", "reset", "closed", "connection_lost" };

    /// <summary>The "*.error" finding that says the target was unreachable, if any.</summary>
    public static KeyValuePair<string, string>? ErrorFinding(IReadOnlyDictionary<string, string> findings) =>
        findings.FirstOrDefault(f => f.Key.EndsWith(".error", StringComparison.Ordinal) && Unreachable.Contains(f.Value)) is { Key: not null } found
            ? found
            : null;

    /// <summary>Null when the outcome is not a failure to reach the target; else what went wrong, in one line.</summary>
    public static string? Describe(ProbeResult? result, Exception? exception, TimeSpan timeLimit) => exception switch
    {
        TimeoutRejectedException => $"timeout: no answer within the run's time limit of {timeLimit.TotalSeconds:0} s",
        null when result is not null && ErrorFinding(result.Findings) is { } error => $"{error.Key}={error.Value}: {result.Summary}",
        _ => null,
    };
}
