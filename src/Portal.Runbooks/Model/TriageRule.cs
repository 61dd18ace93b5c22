namespace Portal.Runbooks.Model;

/// <summary>
/// When a triage sweep suggests this runbook: a probe of the sweep (optionally on one target role) whose
/// verdict and findings satisfy <see cref="When"/>. Stored with the runbook, so it is edited and versioned
/// like the rest of it.
/// </summary>
public sealed class TriageRule
{
    /// <summary>Probe kind in the sweep, e.g. "redis.ping".</summary>
    public string Probe { get; set; } = string.Empty;

    /// <summary>Target role the result must come from; null means any target.</summary>
    public string? Target { get; set; }

    /// <summary>A branch-rule condition over that probe's verdict and findings, e.g. <c>redis.error == refused</c>.</summary>
    public string When { get; set; } = string.Empty;

    /// <summary>The step a walkthrough started from the sweep opens at; null means the first step.</summary>
    public string? Step { get; set; }

    /// <summary>Rank among suggestions (1-100): more specific symptoms weigh more.</summary>
    public int Weight { get; set; } = 50;
}
