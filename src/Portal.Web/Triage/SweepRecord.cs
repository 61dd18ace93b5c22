using Portal.Runbooks.Model;

namespace Portal.Web.Triage;

public static class SweepStatus
{
    public const string Running = "running";
    public const string Done = "done";
}

/// <summary>One cell of the target-by-check matrix: a probe on a target, its run (null when it could not start, with why).</summary>
public sealed record SweepCell(string Target, string Role, string Probe, Guid? RunId, string? Error);

/// <summary>A ranked runbook suggestion as stored with a finished sweep and returned by the API.</summary>
/// <param name="Step">The step a walkthrough started from this sweep opens at (null: the first).</param>
/// <param name="RunIds">The sweep's runs that matched the runbook's triage rules, the deciding one first.</param>
public sealed record SweepSuggestion(string Slug, LocalizedText Title, int Score, LocalizedText Reason, string? Step, string Probe, string Target, IReadOnlyList<Guid> RunIds);

/// <summary>A sweep as stored.</summary>
public sealed record SweepRecord(
    Guid Id, string Environment, string RequestedBy, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, string Status,
    IReadOnlyList<SweepCell> Cells, IReadOnlyList<SweepSuggestion> Suggestions);
