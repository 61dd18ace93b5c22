using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Portal.Runbooks.Model;

namespace Portal.Runbooks.Engine;

/// <summary>
/// The walkthrough rules as pure functions over a runbook version and a <see cref="WalkthroughState"/>:
/// where to start, where to go after a step, whether an input is acceptable, what a probe step's
/// parameters become. Nothing here stores, runs probes or knows about the UI.
/// </summary>
public static class WalkthroughEngine
{
    /// <summary>How long one input may take to match its pattern.</summary>
    public static readonly TimeSpan PatternTimeout = TimeSpan.FromMilliseconds(250);

    internal static readonly LocalizedText NoRuleMatchedReason =
        LocalizedText.Of("没有规则匹配：进入下一步", "no rule matched: next step");

    internal static readonly LocalizedText StepDoneReason =
        LocalizedText.Of("步骤完成：进入下一步", "step done: next step");

    internal static readonly LocalizedText EndReason =
        LocalizedText.Of("已到运行手册末尾：请从解决方案中选择", "end of runbook: pick a solution");

    private const int PatternCacheLimit = 1024;
    private static readonly ConcurrentDictionary<string, object> Patterns = new(StringComparer.Ordinal);

    /// <summary>A new walkthrough: at the first step (or already at the end of a runbook without steps), no inputs.</summary>
    public static WalkthroughState Start(RunbookContent content) =>
        new(content.Steps.Count > 0 ? WalkTarget.ToStep(content.Steps[0].Id) : WalkTarget.End, new Dictionary<string, string>(StringComparer.Ordinal));

    /// <summary>The step with this id, or null.</summary>
    public static RunbookStep? FindStep(RunbookContent content, string stepId)
    {
        var index = IndexOfStep(content, stepId);
        return index < 0 ? null : content.Steps[index];
    }

    /// <summary>True when <paramref name="target"/> is a step or solution of this runbook, or the end.</summary>
    public static bool Exists(RunbookContent content, WalkTarget target) => target.Kind switch
    {
        WalkTargetKind.Step => IndexOfStep(content, target.Id) >= 0,
        WalkTargetKind.Solution => content.Solutions.Exists(s => s.Id == target.Id),
        _ => true,
    };

    /// <summary>Where to go from the walkthrough's current step, given how it ended.</summary>
    /// <exception cref="ArgumentException">The state is not at a step of this runbook.</exception>
    public static Recommendation Recommend(RunbookContent content, WalkthroughState state, StepOutcome outcome)
    {
        if (state.Position.Kind != WalkTargetKind.Step)
        {
            throw new ArgumentException($"The walkthrough is at {state.Position}, not at a step.", nameof(state));
        }

        return Recommend(content, state.Position.Id, outcome);
    }

    /// <summary>
    /// Where to go after step <paramref name="stepId"/> ended with <paramref name="outcome"/>.
    /// A probe outcome is checked against the step's rules in order, first match wins; a decision goes
    /// where the chosen option points. Otherwise: the step's Next, else the following step, else the end.
    /// A rule whose condition does not parse or whose target does not exist is skipped with a warning.
    /// </summary>
    /// <exception cref="ArgumentException">No such step, or the outcome does not fit the step's kind.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The chosen option does not exist.</exception>
    public static Recommendation Recommend(RunbookContent content, string stepId, StepOutcome outcome)
    {
        var index = IndexOfStep(content, stepId);
        if (index < 0)
        {
            throw new ArgumentException($"The runbook has no step '{stepId}'.", nameof(stepId));
        }

        var step = content.Steps[index];
        List<string>? warnings = null;
        var reason = StepDoneReason;
        switch (outcome)
        {
            case ProbeOutcome probe:
                if (step.Kind != StepKind.Probe)
                {
                    throw new ArgumentException($"Step '{stepId}' is a {step.Kind} step; only probe steps have probe outcomes.", nameof(outcome));
                }

                for (var i = 0; i < step.Rules.Count; i++)
                {
                    var rule = step.Rules[i];
                    if (!Condition.TryParse(rule.When, out var condition, out var error))
                    {
                        (warnings ??= []).Add($"rules[{i}].when: {error.Message}");
                        continue;
                    }

                    if (!condition.Evaluate(probe.Verdict, probe.Findings))
                    {
                        continue;
                    }

                    var target = WalkTarget.Parse(rule.Goto);
                    if (target.Kind == WalkTargetKind.End || !Exists(content, target))
                    {
                        (warnings ??= []).Add($"rules[{i}].goto: '{rule.Goto}' points at nothing");
                        continue;
                    }

                    return new Recommendation(step.Id, target, RecommendationSource.Rule, rule.Reason, new MatchedRule(i, rule.When), warnings ?? []);
                }

                reason = NoRuleMatchedReason;
                break;
            case DecisionOutcome decision:
                if (step.Kind != StepKind.Decision)
                {
                    throw new ArgumentException($"Step '{stepId}' is a {step.Kind} step; only decision steps have options.", nameof(outcome));
                }

                if (decision.OptionIndex < 0 || decision.OptionIndex >= step.Options.Count)
                {
                    throw new ArgumentOutOfRangeException(nameof(outcome), decision.OptionIndex, $"Step '{stepId}' has {step.Options.Count} options.");
                }

                var option = step.Options[decision.OptionIndex];
                var chosen = WalkTarget.Parse(option.Goto);
                if (chosen.Kind != WalkTargetKind.End && Exists(content, chosen))
                {
                    return new Recommendation(step.Id, chosen, RecommendationSource.Option, option.Label, null, []);
                }

                (warnings ??= []).Add($"options[{decision.OptionIndex}].goto: '{option.Goto}' points at nothing");
                break;
            case DoneOutcome:
                if (step.Kind == StepKind.Decision)
                {
                    throw new ArgumentException($"Step '{stepId}' is a decision step; it ends with a chosen option.", nameof(outcome));
                }

                break;
            default:
                throw new ArgumentException($"Unknown outcome {outcome.GetType().Name}.", nameof(outcome));
        }

        return FallThrough(content, index, reason, warnings);
    }

    /// <summary>
    /// The engineer goes to <paramref name="chosenTarget"/> (a step id or "solution:{id}") after
    /// <paramref name="recommendation"/>; the caller records the choice, and the override when it is one.
    /// </summary>
    /// <exception cref="ArgumentException">The target is not a step or solution of this runbook.</exception>
    public static Choice Choose(RunbookContent content, Recommendation recommendation, string chosenTarget)
    {
        var chosen = WalkTarget.Parse(chosenTarget);
        if (chosen.Kind == WalkTargetKind.End || !Exists(content, chosen))
        {
            throw new ArgumentException($"'{chosenTarget}' is not a step or solution of this runbook.", nameof(chosenTarget));
        }

        var recommended = recommendation.Target;
        var isOverride = recommended.Kind != WalkTargetKind.End && chosen != recommended;
        return new Choice(chosen, recommended, isOverride);
    }

    /// <summary>The state moved to <paramref name="target"/>; inputs are kept.</summary>
    /// <exception cref="ArgumentException">The target does not exist in this runbook.</exception>
    public static WalkthroughState MoveTo(RunbookContent content, WalkthroughState state, WalkTarget target)
    {
        if (!Exists(content, target))
        {
            throw new ArgumentException($"'{target}' is not a step or solution of this runbook.", nameof(target));
        }

        return state with { Position = target };
    }

    /// <summary>
    /// Checks <paramref name="value"/> for the input step the walkthrough is at; when valid, the returned
    /// state holds it under the input's name (the position does not move: call <see cref="Recommend(RunbookContent, WalkthroughState, StepOutcome)"/> with <see cref="StepOutcome.Done"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The walkthrough is not at an input step.</exception>
    public static InputSubmission SubmitInput(RunbookContent content, WalkthroughState state, string? value)
    {
        var step = state.Position.Kind == WalkTargetKind.Step ? FindStep(content, state.Position.Id) : null;
        if (step is not { Kind: StepKind.Input, Input: { } input } || string.IsNullOrWhiteSpace(input.Name))
        {
            throw new ArgumentException($"The walkthrough is at {state.Position}, not at an input step.", nameof(state));
        }

        var check = CheckInput(input, value);
        if (!check.IsValid)
        {
            return new InputSubmission(check, state);
        }

        var inputs = new Dictionary<string, string>(state.Inputs, StringComparer.Ordinal) { [input.Name] = check.Value };
        return new InputSubmission(check, state with { Inputs = inputs });
    }

    /// <summary>
    /// Checks a value for an input: surrounding blanks are trimmed; empty is accepted only when the input is
    /// optional; otherwise the whole value must match <see cref="StepInput.Pattern"/> (within <see cref="PatternTimeout"/>).
    /// </summary>
    public static InputCheck CheckInput(StepInput input, string? value)
    {
        var trimmed = value?.Trim() ?? string.Empty;
        if (trimmed.Length == 0)
        {
            return input.Required
                ? new InputCheck(trimmed, InputProblem.Required, "a value is required")
                : new InputCheck(trimmed, InputProblem.None, string.Empty);
        }

        if (string.IsNullOrEmpty(input.Pattern))
        {
            return new InputCheck(trimmed, InputProblem.None, string.Empty);
        }

        var compiled = CompilePattern(input.Pattern);
        if (compiled is not Regex regex)
        {
            return new InputCheck(trimmed, InputProblem.InvalidPattern, $"the pattern is not a valid regular expression: {compiled}");
        }

        try
        {
            return regex.IsMatch(trimmed)
                ? new InputCheck(trimmed, InputProblem.None, string.Empty)
                : new InputCheck(trimmed, InputProblem.NoMatch, $"does not match {input.Pattern}");
        }
        catch (RegexMatchTimeoutException)
        {
            return new InputCheck(trimmed, InputProblem.Timeout, "took too long to check against the pattern");
        }
    }

    /// <summary>The probe's parameters with "{name}" replaced by input values; missing ones are reported, not guessed.</summary>
    public static ResolvedParameters ResolveParameters(ProbeCall call, IReadOnlyDictionary<string, string> inputs) =>
        ResolveParameters(null, call, inputs);

    /// <summary>
    /// As <see cref="ResolveParameters(ProbeCall, IReadOnlyDictionary{string, string})"/>, and each missing
    /// input names the input step of <paramref name="content"/> that asks for it.
    /// </summary>
    public static ResolvedParameters ResolveParameters(RunbookContent? content, ProbeCall call, IReadOnlyDictionary<string, string> inputs)
    {
        var missingNames = new List<string>();
        var values = new Dictionary<string, string>(call.Parameters.Count, StringComparer.Ordinal);
        foreach (var (name, value) in call.Parameters)
        {
            values[name] = Placeholders.Substitute(value, inputs, missingNames);
        }

        var missing = missingNames
            .Select(name => new MissingInput(name, content?.Steps.Find(s => s.Kind == StepKind.Input && s.Input?.Name == name)?.Id))
            .ToList();
        return new ResolvedParameters(values, missing);
    }

    /// <summary>The validation error of a pattern, or null when it is a valid regular expression.</summary>
    internal static string? PatternError(string pattern) => CompilePattern(pattern) as string;

    internal static int IndexOfStep(RunbookContent content, string stepId) =>
        content.Steps.FindIndex(s => s.Id == stepId);

    private static Recommendation FallThrough(RunbookContent content, int index, LocalizedText reason, List<string>? warnings)
    {
        var step = content.Steps[index];
        if (!string.IsNullOrWhiteSpace(step.Next))
        {
            var next = WalkTarget.Parse(step.Next);
            if (Exists(content, next))
            {
                return new Recommendation(step.Id, next, RecommendationSource.Next, reason, null, warnings ?? []);
            }

            (warnings ??= []).Add($"next: '{step.Next}' points at nothing");
        }

        return index + 1 < content.Steps.Count
            ? new Recommendation(step.Id, WalkTarget.ToStep(content.Steps[index + 1].Id), RecommendationSource.FollowingStep, reason, null, warnings ?? [])
            : new Recommendation(step.Id, WalkTarget.End, RecommendationSource.End, EndReason, null, warnings ?? []);
    }

    /// <summary>The pattern anchored as a whole match (a <see cref="Regex"/>), or why it is invalid (a string); cached.</summary>
    private static object CompilePattern(string pattern)
    {
        if (!Patterns.TryGetValue(pattern, out var entry))
        {
            try
            {
                // Checked alone first: "a)|(b" is invalid, but wrapped it would parse into something else.
                _ = new Regex(pattern, RegexOptions.CultureInvariant, PatternTimeout);
                entry = new Regex($@"\A(?:{pattern})\z", RegexOptions.CultureInvariant, PatternTimeout);
            }
            catch (ArgumentException e)
            {
                entry = e.Message;
            }

            if (Patterns.Count >= PatternCacheLimit)
            {
                Patterns.Clear();
            }

            entry = Patterns.GetOrAdd(pattern, entry);
        }

        return entry;
    }
}
