using Portal.Runbooks.Engine;
using Portal.Runbooks.Model;
using Portal.Runbooks.Seed;

namespace Portal.Runbooks.Tests.Engine;

/// <summary>Every seeded runbook through the validator and the engine.</summary>
public sealed class SeedRunbookTests
{
    private static readonly IReadOnlyList<RunbookDocument> Runbooks = GuideSeeder.LoadRunbooks();

    public static TheoryData<string> Slugs => [.. Runbooks.Select(r => r.Slug)];

    public static TheoryData<string, string, int> ProbeRules
    {
        get
        {
            var data = new TheoryData<string, string, int>();
            foreach (var runbook in Runbooks)
            {
                foreach (var step in runbook.Steps.Where(s => s.Kind == StepKind.Probe))
                {
                    for (var i = 0; i < step.Rules.Count; i++)
                    {
                        data.Add(runbook.Slug, step.Id, i);
                    }
                }
            }

            return data;
        }
    }

    public static TheoryData<string, string> ProbeSteps
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var (slug, stepId) in Runbooks.SelectMany(r => r.Steps.Where(s => s.Kind == StepKind.Probe).Select(s => (r.Slug, s.Id))))
            {
                data.Add(slug, stepId);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Slugs))]
    public void Seed_Validates_WithoutProblems(string slug)
    {
        var problems = RunbookValidator.Validate(Content(slug), [.. Runbooks.Select(r => r.Slug)]);

        Assert.True(problems.Count == 0, $"{slug}:\n{string.Join("\n", problems)}");
    }

    [Theory]
    [MemberData(nameof(ProbeRules))]
    public void Seed_EveryRule_IsReachedByFindingsThatSatisfyIt(string slug, string stepId, int ruleIndex)
    {
        var content = Content(slug);
        var step = WalkthroughEngine.FindStep(content, stepId)!;
        var rule = step.Rules[ruleIndex];
        var condition = Condition.Parse(rule.When);
        var upToThisRule = step.Rules.Take(ruleIndex + 1).Select(r => Condition.Parse(r.When));

        var satisfying = FindingsSolver.Outcomes(upToThisRule).Where(o => condition.Evaluate(o.Verdict, o.Findings)).ToList();
        Assert.True(satisfying.Count > 0, $"{slug}/{stepId}: no findings satisfy rule {ruleIndex} '{rule.When}'");

        var landed = satisfying
            .Select(o => (Outcome: o, Recommendation: WalkthroughEngine.Recommend(content, stepId, o)))
            .FirstOrDefault(x => x.Recommendation.Rule?.Index == ruleIndex);
        Assert.True(
            landed.Recommendation is not null,
            $"{slug}/{stepId}: rule {ruleIndex} '{rule.When}' is shadowed; whatever satisfies it matches an earlier rule first");
        Assert.Equal(WalkTarget.Parse(rule.Goto), landed.Recommendation.Target);
        Assert.Equal(rule.Reason, landed.Recommendation.Reason);
        Assert.Empty(landed.Recommendation.Warnings);
    }

    [Theory]
    [MemberData(nameof(ProbeSteps))]
    public void Seed_EveryProbeStep_HasAnOutcomeNoRuleMatches(string slug, string stepId)
    {
        var content = Content(slug);
        var step = WalkthroughEngine.FindStep(content, stepId)!;
        var index = content.Steps.IndexOf(step);
        var expected = step.Next is not null ? WalkTarget.Parse(step.Next)
            : index + 1 < content.Steps.Count ? WalkTarget.ToStep(content.Steps[index + 1].Id)
            : WalkTarget.End;

        var fallThrough = FindingsSolver.Outcomes(step.Rules.Select(r => Condition.Parse(r.When)))
            .Select(o => WalkthroughEngine.Recommend(content, stepId, o))
            .FirstOrDefault(r => r.Rule is null);

        Assert.True(fallThrough is not null, $"{slug}/{stepId}: some rule matches every outcome; Next and the following step are never recommended");
        Assert.Equal(expected, fallThrough.Target);
    }

    [Theory]
    [MemberData(nameof(Slugs))]
    public void Seed_WalkingEveryBranchThroughTheEngine_ReachesEveryStep(string slug)
    {
        var content = Content(slug);
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var solutions = new HashSet<string>(StringComparer.Ordinal);
        var reachesEnd = false;
        var queue = new Queue<string>([content.Steps[0].Id]);
        visited.Add(content.Steps[0].Id);

        while (queue.TryDequeue(out var stepId))
        {
            var step = WalkthroughEngine.FindStep(content, stepId)!;
            var outcomes = step.Kind switch
            {
                StepKind.Probe => FindingsSolver.Outcomes(step.Rules.Select(r => Condition.Parse(r.When))).Cast<StepOutcome>(),
                StepKind.Decision => step.Options.Select((_, i) => (StepOutcome)StepOutcome.Decision(i)),
                _ => [StepOutcome.Done],
            };

            foreach (var target in outcomes.Select(o => WalkthroughEngine.Recommend(content, stepId, o).Target).Distinct())
            {
                if (target.Kind == WalkTargetKind.Solution)
                {
                    solutions.Add(target.Id);
                }
                else if (target.Kind == WalkTargetKind.Step && visited.Add(target.Id))
                {
                    queue.Enqueue(target.Id);
                }
                else if (target.Kind == WalkTargetKind.End)
                {
                    reachesEnd = true;
                }
            }
        }

        Assert.Equal(content.Steps.Select(s => s.Id).Order(), visited.Order());
        // Every walk ends somewhere: at a solution, or at the end where the UI lists them all
        // (major-incident is a linear procedure that only ends that way).
        Assert.True(solutions.Count > 0 || reachesEnd);
    }

    private static RunbookContent Content(string slug) => Runbooks.Single(r => r.Slug == slug).ToContent();
}
