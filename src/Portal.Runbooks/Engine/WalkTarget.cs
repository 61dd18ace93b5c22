namespace Portal.Runbooks.Engine;

public enum WalkTargetKind
{
    /// <summary>Nothing left to recommend: the UI offers the solutions list.</summary>
    End,
    Step,
    Solution,
}

/// <summary>
/// Where a walkthrough goes: a step, a solution, or the end of the runbook. In runbooks it is
/// written as a reference: a step id, or "solution:{id}".
/// </summary>
public sealed record WalkTarget
{
    public const string SolutionPrefix = "solution:";

    private WalkTarget(WalkTargetKind kind, string id)
    {
        Kind = kind;
        Id = id;
    }

    public static WalkTarget End { get; } = new(WalkTargetKind.End, string.Empty);

    public WalkTargetKind Kind { get; }

    /// <summary>The step or solution id; empty for <see cref="WalkTargetKind.End"/>.</summary>
    public string Id { get; }

    /// <summary>As written in a runbook: "restart" or "solution:firewall"; empty for the end.</summary>
    public string Reference => Kind == WalkTargetKind.Solution ? SolutionPrefix + Id : Id;

    public static WalkTarget ToStep(string id) => new(WalkTargetKind.Step, id);

    public static WalkTarget ToSolution(string id) => new(WalkTargetKind.Solution, id);

    /// <summary>Reads "solution:{id}" or a step id. Blank means the end.</summary>
    public static WalkTarget Parse(string? reference)
    {
        if (string.IsNullOrWhiteSpace(reference))
        {
            return End;
        }

        var trimmed = reference.Trim();
        return trimmed.StartsWith(SolutionPrefix, StringComparison.Ordinal)
            ? ToSolution(trimmed[SolutionPrefix.Length..])
            : ToStep(trimmed);
    }

    public override string ToString() => Kind == WalkTargetKind.End ? "(end)" : Reference;
}
