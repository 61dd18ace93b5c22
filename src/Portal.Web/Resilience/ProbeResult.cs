using Portal.Probes.Contract;

namespace Portal.Web.Resilience;

/// <summary>How a probe run ended, as the circuit breaker judges it.</summary>
/// <param name="Verdict">The probe's verdict; null when it ended without one.</param>
/// <param name="Summary">The verdict's summary, redacted.</param>
/// <param name="Findings">The run's findings, redacted.</param>
public sealed record ProbeResult(Verdict? Verdict, string Summary, IReadOnlyDictionary<string, string> Findings);
