using Portal.Runbooks.Model;

namespace Portal.Runbooks.Engine;

/// <summary>A problem in a runbook: where (e.g. "steps[2].rules[0].when") and what, in short English.</summary>
public sealed record RunbookProblem(string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>
/// Checks that a runbook can be walked: ids unique, every target exists, every condition parses, every step
/// can be reached from the first, every placeholder is filled by an earlier input step, each step carries
/// what its kind needs. Used by the seed tests, the editor and the API before saving.
/// </summary>
public static class RunbookValidator
{
    /// <summary>Every problem found, in document order; empty when the runbook is sound.</summary>
    /// <param name="content">The runbook.</param>
    /// <param name="knownSlugs">When given, solution links must name one of these runbooks.</param>
    public static IReadOnlyList<RunbookProblem> Validate(RunbookContent content, IReadOnlyCollection<string>? knownSlugs = null)
    {
        var problems = new List<RunbookProblem>();
        if (IsBlank(content.Title))
        {
            problems.Add(new("title", "title is empty"));
        }

        if (content.Steps.Count == 0)
        {
            problems.Add(new("steps", "the runbook has no steps"));
        }

        var stepIds = CheckIds(content.Steps.Select(s => s.Id).ToList(), "steps", "step", problems);
        var solutionIds = CheckIds(content.Solutions.Select(s => s.Id).ToList(), "solutions", "solution", problems);
        var inputSteps = new Dictionary<string, int>(StringComparer.Ordinal);

        for (var i = 0; i < content.Steps.Count; i++)
        {
            var step = content.Steps[i];
            var path = $"steps[{i}]";
            if (step.Id.StartsWith(WalkTarget.SolutionPrefix, StringComparison.Ordinal))
            {
                problems.Add(new($"{path}.id", $"a step id cannot start with '{WalkTarget.SolutionPrefix}'"));
            }

            if (IsBlank(step.Title))
            {
                problems.Add(new($"{path}.title", "title is empty"));
            }

            switch (step.Kind)
            {
                case StepKind.Probe:
                    CheckProbe(step, path, problems);
                    break;
                case StepKind.Input:
                    CheckInput(step, path, i, inputSteps, problems);
                    break;
                case StepKind.Decision:
                    CheckOptions(step, path, stepIds, solutionIds, problems);
                    break;
            }

            if (step.Kind != StepKind.Probe && step.Rules.Count > 0)
            {
                problems.Add(new($"{path}.rules", $"rules are only checked on probe steps, not on a {Name(step.Kind)} step"));
            }

            for (var r = 0; r < step.Rules.Count; r++)
            {
                var rule = step.Rules[r];
                var rulePath = $"{path}.rules[{r}]";
                if (!Condition.TryParse(rule.When, out _, out var error))
                {
                    problems.Add(new($"{rulePath}.when", error.Message));
                }

                CheckTarget(rule.Goto, $"{rulePath}.goto", stepIds, solutionIds, problems);
                if (IsBlank(rule.Reason))
                {
                    problems.Add(new($"{rulePath}.reason", "reason is empty"));
                }
            }

            if (step.Next is not null)
            {
                if (step.Kind == StepKind.Decision)
                {
                    problems.Add(new($"{path}.next", "a decision step goes where its options point; next is never used"));
                }
                else
                {
                    CheckTarget(step.Next, $"{path}.next", stepIds, solutionIds, problems);
                }
            }
        }

        for (var i = 0; i < content.Solutions.Count; i++)
        {
            var solution = content.Solutions[i];
            if (IsBlank(solution.Title))
            {
                problems.Add(new($"solutions[{i}].title", "title is empty"));
            }

            if (IsBlank(solution.Body))
            {
                problems.Add(new($"solutions[{i}].body", "solution text is empty"));
            }

            if (knownSlugs is null)
            {
                continue;
            }

            for (var l = 0; l < solution.Links.Count; l++)
            {
                if (!knownSlugs.Contains(solution.Links[l]))
                {
                    problems.Add(new($"solutions[{i}].links[{l}]", $"no runbook '{solution.Links[l]}'"));
                }
            }
        }

        if (content.Steps.Count > 0)
        {
            CheckReachability(content, inputSteps, problems);
        }

        CheckTriage(content, stepIds, problems);
        return problems;
    }

    /// <summary>Triage rules: a probe kind, a condition that parses, a step that exists, a weight of 1-100.</summary>
    private static void CheckTriage(RunbookContent content, HashSet<string> stepIds, List<RunbookProblem> problems)
    {
        for (var i = 0; i < (content.Triage?.Count ?? 0); i++)
        {
            var rule = content.Triage![i];
            var path = $"triage[{i}]";
            if (string.IsNullOrWhiteSpace(rule.Probe))
            {
                problems.Add(new($"{path}.probe", "probe is empty: the probe kind of the sweep this rule reads, e.g. redis.ping"));
            }

            if (string.IsNullOrWhiteSpace(rule.When))
            {
                problems.Add(new($"{path}.when", "when is empty"));
            }
            else if (!Condition.TryParse(rule.When, out _, out var error))
            {
                problems.Add(new($"{path}.when", error.Message));
            }

            if (rule.Step is not null && !stepIds.Contains(rule.Step))
            {
                problems.Add(new($"{path}.step", $"no step '{rule.Step}'"));
            }

            if (rule.Weight is < 1 or > 100)
            {
                problems.Add(new($"{path}.weight", "weight must be between 1 and 100"));
            }
        }
    }

    /// <summary>
    /// The steps the engine can go to from step <paramref name="index"/>: rule targets and the fall-through
    /// (Next, else the following step) for probe, manual and input steps; option targets for decisions.
    /// </summary>
    internal static IEnumerable<int> Successors(RunbookContent content, int index)
    {
        var step = content.Steps[index];
        if (step.Kind == StepKind.Decision)
        {
            foreach (var option in step.Options)
            {
                if (StepIndex(content, option.Goto) is int target)
                {
                    yield return target;
                }
            }

            yield break;
        }

        if (step.Kind == StepKind.Probe)
        {
            foreach (var rule in step.Rules)
            {
                if (StepIndex(content, rule.Goto) is int target)
                {
                    yield return target;
                }
            }
        }

        var next = string.IsNullOrWhiteSpace(step.Next) ? null : WalkTarget.Parse(step.Next);
        if (next is null || !WalkthroughEngine.Exists(content, next))
        {
            if (index + 1 < content.Steps.Count)
            {
                yield return index + 1;
            }
        }
        else if (StepIndex(content, step.Next) is int target)
        {
            yield return target;
        }
    }

    private static void CheckReachability(RunbookContent content, Dictionary<string, int> inputSteps, List<RunbookProblem> problems)
    {
        var reachable = Reach(content, [0]);
        for (var i = 0; i < content.Steps.Count; i++)
        {
            if (!reachable[i])
            {
                problems.Add(new($"steps[{i}]", $"step '{content.Steps[i].Id}' cannot be reached from the first step"));
            }
        }

        // A placeholder is filled when some path from the first step passes its input step before the probe.
        var filledAt = inputSteps.ToDictionary(
            p => p.Key,
            p => Reach(content, Successors(content, p.Value)),
            StringComparer.Ordinal);
        for (var i = 0; i < content.Steps.Count; i++)
        {
            var step = content.Steps[i];
            if (step.Kind != StepKind.Probe || step.Probe is null)
            {
                continue;
            }

            foreach (var (parameter, value) in step.Probe.Parameters)
            {
                foreach (var name in Placeholders.Find(value))
                {
                    var path = $"steps[{i}].probe.parameters.{parameter}";
                    if (!filledAt.TryGetValue(name, out var filled))
                    {
                        problems.Add(new(path, $"'{{{name}}}' is not the name of any input step"));
                    }
                    else if (!filled[i])
                    {
                        problems.Add(new(path, $"'{{{name}}}' comes from step '{content.Steps[inputSteps[name]].Id}', which never comes before this step"));
                    }
                }
            }
        }
    }

    private static bool[] Reach(RunbookContent content, IEnumerable<int> starts)
    {
        var seen = new bool[content.Steps.Count];
        var queue = new Queue<int>();
        foreach (var start in starts)
        {
            if (!seen[start])
            {
                seen[start] = true;
                queue.Enqueue(start);
            }
        }

        while (queue.TryDequeue(out var index))
        {
            foreach (var next in Successors(content, index))
            {
                if (!seen[next])
                {
                    seen[next] = true;
                    queue.Enqueue(next);
                }
            }
        }

        return seen;
    }

    private static int? StepIndex(RunbookContent content, string? reference)
    {
        var target = WalkTarget.Parse(reference);
        if (target.Kind != WalkTargetKind.Step)
        {
            return null;
        }

        var index = WalkthroughEngine.IndexOfStep(content, target.Id);
        return index < 0 ? null : index;
    }

    private static HashSet<string> CheckIds(List<string> ids, string collection, string what, List<RunbookProblem> problems)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < ids.Count; i++)
        {
            var id = ids[i];
            if (string.IsNullOrWhiteSpace(id))
            {
                problems.Add(new($"{collection}[{i}].id", $"{what} id is empty"));
            }
            else if (seen.TryGetValue(id, out var first))
            {
                problems.Add(new($"{collection}[{i}].id", $"duplicate {what} id '{id}' (also {collection}[{first}])"));
            }
            else
            {
                seen[id] = i;
            }
        }

        return [.. seen.Keys];
    }

    private static void CheckProbe(RunbookStep step, string path, List<RunbookProblem> problems)
    {
        if (step.Probe is null)
        {
            problems.Add(new($"{path}.probe", "a probe step needs a probe"));
            return;
        }

        if (string.IsNullOrWhiteSpace(step.Probe.Kind))
        {
            problems.Add(new($"{path}.probe.kind", "probe kind is empty"));
        }

        if (string.IsNullOrWhiteSpace(step.Probe.Target))
        {
            problems.Add(new($"{path}.probe.target", "target role is empty"));
        }
    }

    private static void CheckInput(RunbookStep step, string path, int index, Dictionary<string, int> inputSteps, List<RunbookProblem> problems)
    {
        if (step.Input is null || string.IsNullOrWhiteSpace(step.Input.Name))
        {
            problems.Add(new($"{path}.input.name", "an input step needs a name"));
            return;
        }

        var name = step.Input.Name;
        if (!Placeholders.IsValidName(name))
        {
            problems.Add(new($"{path}.input.name", $"'{name}' is not a valid input name (lower-case letters, digits and '_')"));
        }
        else if (!inputSteps.TryAdd(name, index))
        {
            problems.Add(new($"{path}.input.name", $"input '{name}' is already asked for by steps[{inputSteps[name]}]"));
        }

        if (!string.IsNullOrEmpty(step.Input.Pattern) && WalkthroughEngine.PatternError(step.Input.Pattern) is { } error)
        {
            problems.Add(new($"{path}.input.pattern", $"not a valid regular expression: {error}"));
        }
    }

    private static void CheckOptions(RunbookStep step, string path, HashSet<string> stepIds, HashSet<string> solutionIds, List<RunbookProblem> problems)
    {
        if (step.Options.Count == 0)
        {
            problems.Add(new($"{path}.options", "a decision step needs options"));
        }

        for (var o = 0; o < step.Options.Count; o++)
        {
            var option = step.Options[o];
            if (IsBlank(option.Label))
            {
                problems.Add(new($"{path}.options[{o}].label", "label is empty"));
            }

            CheckTarget(option.Goto, $"{path}.options[{o}].goto", stepIds, solutionIds, problems);
        }
    }

    private static void CheckTarget(string? reference, string path, HashSet<string> stepIds, HashSet<string> solutionIds, List<RunbookProblem> problems)
    {
        var target = WalkTarget.Parse(reference);
        var ok = target.Kind switch
        {
            WalkTargetKind.Step => stepIds.Contains(target.Id),
            WalkTargetKind.Solution => solutionIds.Contains(target.Id),
            _ => false,
        };
        if (target.Kind == WalkTargetKind.End)
        {
            problems.Add(new(path, "target is empty"));
        }
        else if (!ok)
        {
            problems.Add(new(path, target.Kind == WalkTargetKind.Solution
                ? $"no solution '{target.Id}'"
                : $"no step '{target.Id}'"));
        }
    }

    private static bool IsBlank(LocalizedText text) => text.Values.All(string.IsNullOrWhiteSpace);

    private static string Name(StepKind kind) => kind.ToString().ToLowerInvariant();
}
