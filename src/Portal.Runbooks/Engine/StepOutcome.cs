namespace Portal.Runbooks.Engine;

/// <summary>How a step ended; the engine recommends where to go from it.</summary>
public abstract record StepOutcome
{
    private protected StepOutcome()
    {
    }

    /// <summary>A manual or input step is done (or a probe step was skipped without running).</summary>
    public static StepOutcome Done { get; } = new DoneOutcome();

    public static ProbeOutcome Probe(string verdict, IReadOnlyDictionary<string, string> findings) => new(verdict, findings);

    public static DecisionOutcome Decision(int optionIndex) => new(optionIndex);
}

/// <summary>The step was worked through; no findings. On a probe step: skipped, so no rule is checked.</summary>
public sealed record DoneOutcome : StepOutcome;

/// <summary>A probe ran: its verdict ("pass", "warn", "fail", "error"; any case) and findings (invariant-culture text).</summary>
public sealed record ProbeOutcome(string Verdict, IReadOnlyDictionary<string, string> Findings) : StepOutcome;

/// <summary>The engineer picked option <see cref="OptionIndex"/> (0-based) of a decision step.</summary>
public sealed record DecisionOutcome(int OptionIndex) : StepOutcome;
