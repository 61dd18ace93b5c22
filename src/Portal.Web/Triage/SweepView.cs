namespace Portal.Web.Triage;

/// <summary>One cell as it stands: the run's status (running, pass, warn, fail, error, timeout…), summary and findings.</summary>
public sealed record SweepCellView(string Target, string Role, string Probe, Guid? RunId, string Status, string Summary, IReadOnlyDictionary<string, string> Findings);

/// <summary>A sweep as it stands: the matrix and the ranked suggestions (live while running, as stored once done).</summary>
public sealed record SweepView(
    Guid Id, string Environment, string RequestedBy, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, string Status,
    IReadOnlyList<string> Targets, IReadOnlyList<string> Probes, IReadOnlyList<SweepCellView> Cells, IReadOnlyList<SweepSuggestion> Suggestions)
{
    public double? Seconds => FinishedAt is { } f ? (f - StartedAt).TotalSeconds : null;

    public SweepCellView? Cell(string target, string probe) => Cells.FirstOrDefault(c => c.Target == target && c.Probe == probe);
}
