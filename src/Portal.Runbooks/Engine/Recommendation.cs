using Portal.Runbooks.Model;

namespace Portal.Runbooks.Engine;

/// <summary>Why the engine recommends its target.</summary>
public enum RecommendationSource
{
    /// <summary>A branch rule's condition held; <see cref="Recommendation.Rule"/> says which.</summary>
    Rule,

    /// <summary>The engineer picked a decision option.</summary>
    Option,

    /// <summary>No rule matched and the step names its <see cref="RunbookStep.Next"/>.</summary>
    Next,

    /// <summary>No rule matched, no Next: the step after this one in the runbook.</summary>
    FollowingStep,

    /// <summary>Nothing follows: the UI offers the solutions.</summary>
    End,
}

/// <summary>The branch rule that decided, as it stood in the runbook.</summary>
public sealed record MatchedRule(int Index, string When);

/// <summary>
/// What the engine proposes after a step. It only recommends: the engineer may pick another target
/// (see <see cref="WalkthroughEngine.Choose"/>).
/// </summary>
/// <param name="FromStepId">The step this follows.</param>
/// <param name="Target">Where to go next.</param>
/// <param name="Source">Why: rule, option, Next, the following step or the end.</param>
/// <param name="Reason">For the engineer: the rule's reason, the option's label, or a fixed text.</param>
/// <param name="Rule">The rule that matched, when <paramref name="Source"/> is <see cref="RecommendationSource.Rule"/>.</param>
/// <param name="Warnings">Rules or targets that were skipped because the runbook is broken there (English).</param>
public sealed record Recommendation(
    string FromStepId,
    WalkTarget Target,
    RecommendationSource Source,
    LocalizedText Reason,
    MatchedRule? Rule,
    IReadOnlyList<string> Warnings);

/// <summary>What the engineer chose against what was recommended.</summary>
/// <param name="IsOverride">
/// True when the choice differs from a recommended target; false when it follows it, and false when the
/// recommendation was the end of the runbook (nothing was proposed, so any solution picked is not an override).
/// </param>
public sealed record Choice(WalkTarget Chosen, WalkTarget Recommended, bool IsOverride);

/// <summary>
/// Where a walkthrough stands: the current position and the input values given so far (by input name).
/// The incident timeline is the record of what happened; this is only what the engine needs.
/// </summary>
public sealed record WalkthroughState(WalkTarget Position, IReadOnlyDictionary<string, string> Inputs);

public enum InputProblem
{
    None,

    /// <summary>The input is required and the value is empty.</summary>
    Required,

    /// <summary>The value does not match the pattern as a whole.</summary>
    NoMatch,

    /// <summary>Matching took too long (a pathological pattern or value).</summary>
    Timeout,

    /// <summary>The runbook's pattern is not a valid regular expression.</summary>
    InvalidPattern,
}

/// <summary>The result of checking an input value. <see cref="Value"/> is the trimmed value to keep.</summary>
public sealed record InputCheck(string Value, InputProblem Problem, string Message)
{
    public bool IsValid => Problem == InputProblem.None;
}

/// <summary>The value given to an input step, checked, and the state with it recorded when valid.</summary>
public sealed record InputSubmission(InputCheck Check, WalkthroughState State);

/// <summary>A placeholder with no value yet, and the input step that asks for it (null when none does).</summary>
public sealed record MissingInput(string Name, string? ProvidedByStepId);

/// <summary>
/// Probe parameters with "{name}" placeholders replaced. When <see cref="Missing"/> is not empty the probe
/// cannot run yet; those placeholders are left as written in <see cref="Values"/>.
/// </summary>
public sealed record ResolvedParameters(IReadOnlyDictionary<string, string> Values, IReadOnlyList<MissingInput> Missing)
{
    public bool CanRun => Missing.Count == 0;
}
