using Portal.Runbooks.Engine;
using Portal.Runbooks.Model;
using static Portal.Runbooks.Tests.Engine.TestRunbooks;

namespace Portal.Runbooks.Tests.Engine;

public sealed class WalkthroughEngineTests
{
    // ping (probe) ─ rules ─> port | solution:network | solution:auth ; falls through to memory
    // memory (probe, next: decide) ; port (probe, last rule-less) ; decide ; restart (manual) ; last (probe)
    private static readonly RunbookContent Redis = Runbook(
        [
            Probe(
                "ping",
                "redis.ping",
                Rule("redis.error == refused", "port"),
                Rule("redis.error == timeout || redis.error == unreachable", "solution:network"),
                Rule("redis.error exists", "solution:auth"),
                Rule("verdict == fail", "solution:network")),
            WithNext(Probe("memory", "redis.memory", Rule("redis.memory.used_pct >= 95", "solution:memory")), "decide"),
            Probe("port", "tcp.connect"),
            Decision("decide", "solution:memory", "restart"),
            Manual("restart"),
            Probe("last", "redis.ping", Rule("redis.error exists", "solution:auth")),
        ],
        "network", "auth", "memory");

    [Fact]
    public void Start_IsAtTheFirstStep_WithNoInputs()
    {
        var state = WalkthroughEngine.Start(Redis);

        Assert.Equal(WalkTarget.ToStep("ping"), state.Position);
        Assert.Empty(state.Inputs);
        Assert.Equal(WalkTarget.End, WalkthroughEngine.Start(Runbook([])).Position);
    }

    [Fact]
    public void Recommend_RuleMatches_GoesToItsTarget_WithItsReason()
    {
        var recommendation = Recommend("ping", "fail", "redis.error=refused");

        Assert.Equal(WalkTarget.ToStep("port"), recommendation.Target);
        Assert.Equal(RecommendationSource.Rule, recommendation.Source);
        Assert.Equal(new MatchedRule(0, "redis.error == refused"), recommendation.Rule);
        Assert.Equal("because redis.error == refused", recommendation.Reason.In(Languages.English));
        Assert.Equal("ping", recommendation.FromStepId);
        Assert.Empty(recommendation.Warnings);
    }

    [Fact]
    public void Recommend_SeveralRulesMatch_FirstWins()
    {
        // Matches rules 1 ("timeout"), 2 ("exists") and 3 ("verdict == fail").
        var recommendation = Recommend("ping", "fail", "redis.error=timeout");

        Assert.Equal(WalkTarget.ToSolution("network"), recommendation.Target);
        Assert.Equal(1, recommendation.Rule?.Index);

        var later = Recommend("ping", "fail", "redis.error=auth_failed");
        Assert.Equal(WalkTarget.ToSolution("auth"), later.Target);
        Assert.Equal(2, later.Rule?.Index);
    }

    [Fact]
    public void Recommend_NoRuleMatches_NoNext_GoesToTheFollowingStep()
    {
        var recommendation = Recommend("ping", "pass", "redis.latency_ms=0.4");

        Assert.Equal(WalkTarget.ToStep("memory"), recommendation.Target);
        Assert.Equal(RecommendationSource.FollowingStep, recommendation.Source);
        Assert.Null(recommendation.Rule);
        Assert.Equal("no rule matched: next step", recommendation.Reason.In(Languages.English));
    }

    [Fact]
    public void Recommend_NoRuleMatches_GoesToNext()
    {
        var recommendation = Recommend("memory", "pass", "redis.memory.used_pct=50");

        Assert.Equal(WalkTarget.ToStep("decide"), recommendation.Target);
        Assert.Equal(RecommendationSource.Next, recommendation.Source);
    }

    [Fact]
    public void Recommend_LastStep_NoRuleMatches_EndsTheRunbook()
    {
        var recommendation = Recommend("last", "pass", "");

        Assert.Equal(WalkTarget.End, recommendation.Target);
        Assert.Equal(RecommendationSource.End, recommendation.Source);
        Assert.Equal("end of runbook: pick a solution", recommendation.Reason.In(Languages.English));
        Assert.False(string.IsNullOrWhiteSpace(recommendation.Reason.In(Languages.Chinese)));
    }

    [Fact]
    public void Recommend_ManualStepDone_GoesToTheFollowingStep()
    {
        var recommendation = WalkthroughEngine.Recommend(Redis, "restart", StepOutcome.Done);

        Assert.Equal(WalkTarget.ToStep("last"), recommendation.Target);
        Assert.Equal("step done: next step", recommendation.Reason.In(Languages.English));
    }

    [Fact]
    public void Recommend_ProbeSkipped_ChecksNoRule_FallsThrough()
    {
        var recommendation = WalkthroughEngine.Recommend(Redis, "ping", StepOutcome.Done);

        Assert.Equal(WalkTarget.ToStep("memory"), recommendation.Target);
        Assert.Equal(RecommendationSource.FollowingStep, recommendation.Source);
    }

    [Fact]
    public void Recommend_Decision_GoesWhereTheChosenOptionPoints()
    {
        var recommendation = WalkthroughEngine.Recommend(Redis, "decide", StepOutcome.Decision(1));

        Assert.Equal(WalkTarget.ToStep("restart"), recommendation.Target);
        Assert.Equal(RecommendationSource.Option, recommendation.Source);
        Assert.Equal("to restart", recommendation.Reason.In(Languages.English));
        Assert.Equal(WalkTarget.ToSolution("memory"), WalkthroughEngine.Recommend(Redis, "decide", StepOutcome.Decision(0)).Target);
    }

    [Fact]
    public void Recommend_OutcomeThatDoesNotFitTheStep_Throws()
    {
        Assert.Throws<ArgumentException>(() => WalkthroughEngine.Recommend(Redis, "nope", StepOutcome.Done));
        Assert.Throws<ArgumentException>(() => WalkthroughEngine.Recommend(Redis, "restart", StepOutcome.Probe("pass", new Dictionary<string, string>())));
        Assert.Throws<ArgumentException>(() => WalkthroughEngine.Recommend(Redis, "ping", StepOutcome.Decision(0)));
        Assert.Throws<ArgumentException>(() => WalkthroughEngine.Recommend(Redis, "decide", StepOutcome.Done));
        Assert.Throws<ArgumentOutOfRangeException>(() => WalkthroughEngine.Recommend(Redis, "decide", StepOutcome.Decision(2)));
        Assert.Throws<ArgumentException>(() => WalkthroughEngine.Recommend(Redis, new WalkthroughState(WalkTarget.ToSolution("auth"), new Dictionary<string, string>()), StepOutcome.Done));
    }

    [Fact]
    public void Recommend_BrokenRulesAndNext_AreSkippedWithWarnings()
    {
        var broken = Runbook(
            [
                WithNext(Probe("p", "x", Rule("x.error exists)", "solution:s"), Rule("x.error exists", "nowhere"), Rule("verdict == fail", "solution:s")), "gone"),
                Manual("after"),
            ],
            "s");

        var matched = WalkthroughEngine.Recommend(broken, "p", StepOutcome.Probe("fail", ConditionTests.Findings("x.error=boom")));
        Assert.Equal(WalkTarget.ToSolution("s"), matched.Target);
        Assert.Equal(2, matched.Rule?.Index);
        Assert.Equal(["rules[0].when: unexpected ')' at 14", "rules[1].goto: 'nowhere' points at nothing"], matched.Warnings);

        var fellThrough = WalkthroughEngine.Recommend(broken, "p", StepOutcome.Probe("pass", ConditionTests.Findings("")));
        Assert.Equal(WalkTarget.ToStep("after"), fellThrough.Target);
        Assert.Contains("next: 'gone' points at nothing", fellThrough.Warnings);
    }

    [Fact]
    public void Choose_FollowingTheRecommendation_IsNoOverride()
    {
        var recommendation = Recommend("ping", "fail", "redis.error=refused");

        var choice = WalkthroughEngine.Choose(Redis, recommendation, "port");

        Assert.Equal(new Choice(WalkTarget.ToStep("port"), WalkTarget.ToStep("port"), false), choice);
    }

    [Fact]
    public void Choose_AnotherTarget_IsAnOverride()
    {
        var recommendation = Recommend("ping", "fail", "redis.error=refused");

        var toSolution = WalkthroughEngine.Choose(Redis, recommendation, "solution:network");
        var toStep = WalkthroughEngine.Choose(Redis, recommendation, "memory");

        Assert.True(toSolution.IsOverride);
        Assert.Equal(WalkTarget.ToSolution("network"), toSolution.Chosen);
        Assert.Equal(WalkTarget.ToStep("port"), toSolution.Recommended);
        Assert.True(toStep.IsOverride);
    }

    [Fact]
    public void Choose_AfterTheEnd_ASolutionIsNoOverride()
    {
        var end = Recommend("last", "pass", "");

        Assert.False(WalkthroughEngine.Choose(Redis, end, "solution:auth").IsOverride);
    }

    [Fact]
    public void Choose_TargetThatDoesNotExist_Throws()
    {
        var recommendation = Recommend("ping", "fail", "redis.error=refused");

        Assert.Throws<ArgumentException>(() => WalkthroughEngine.Choose(Redis, recommendation, "solution:nope"));
        Assert.Throws<ArgumentException>(() => WalkthroughEngine.Choose(Redis, recommendation, "nope"));
        Assert.Throws<ArgumentException>(() => WalkthroughEngine.Choose(Redis, recommendation, ""));
    }

    [Fact]
    public void MoveTo_KeepsInputs_RefusesUnknownTargets()
    {
        var state = new WalkthroughState(WalkTarget.ToStep("ping"), new Dictionary<string, string> { ["a"] = "1" });

        var moved = WalkthroughEngine.MoveTo(Redis, state, WalkTarget.ToSolution("memory"));

        Assert.Equal(WalkTarget.ToSolution("memory"), moved.Position);
        Assert.Same(state.Inputs, moved.Inputs);
        Assert.Throws<ArgumentException>(() => WalkthroughEngine.MoveTo(Redis, state, WalkTarget.ToStep("nope")));
    }

    [Theory]
    [InlineData("wf-42", "^[A-Za-z0-9_-]{1,64}$", true, "wf-42", InputProblem.None)]
    [InlineData("  wf-42\n", "^[A-Za-z0-9_-]{1,64}$", true, "wf-42", InputProblem.None)]
    [InlineData("wf 42", "^[A-Za-z0-9_-]{1,64}$", true, "wf 42", InputProblem.NoMatch)]
    [InlineData("abc1", "[a-z]+", true, "abc1", InputProblem.NoMatch)]
    [InlineData("xabc", "[a-z]{3}", true, "xabc", InputProblem.NoMatch)]
    [InlineData("ab", "a|ab", true, "ab", InputProblem.None)]
    [InlineData("abc\n", "^[a-z]+$", true, "abc", InputProblem.None)]
    [InlineData("", "[a-z]+", true, "", InputProblem.Required)]
    [InlineData(null, null, true, "", InputProblem.Required)]
    [InlineData("   ", "[a-z]+", false, "", InputProblem.None)]
    [InlineData("anything at all", null, true, "anything at all", InputProblem.None)]
    [InlineData("abc", "([a-z", true, "abc", InputProblem.InvalidPattern)]
    [InlineData("abc", "a)|(b", true, "abc", InputProblem.InvalidPattern)]
    public void CheckInput_Table(string? value, string? pattern, bool required, string kept, InputProblem problem)
    {
        var check = WalkthroughEngine.CheckInput(new StepInput { Name = "x", Pattern = pattern, Required = required }, value);

        Assert.Equal(problem, check.Problem);
        Assert.Equal(kept, check.Value);
        Assert.Equal(problem == InputProblem.None, check.IsValid);
        Assert.Equal(problem == InputProblem.None, check.Message.Length == 0);
    }

    [Fact]
    public void CheckInput_CatastrophicPattern_TimesOut()
    {
        var check = WalkthroughEngine.CheckInput(new StepInput { Name = "x", Pattern = "(a+)+b" }, new string('a', 40) + "c");

        Assert.Equal(InputProblem.Timeout, check.Problem);
    }

    [Fact]
    public void SubmitInput_Valid_RecordsTheValueUnderTheInputName()
    {
        var runbook = Runbook([Input("ask", "workflow_id", "^[a-z0-9-]+$"), ProbeWith("status", ("workflow_id", "{workflow_id}"))]);
        var state = WalkthroughEngine.Start(runbook);

        var bad = WalkthroughEngine.SubmitInput(runbook, state, "WF 1");
        var good = WalkthroughEngine.SubmitInput(runbook, state, " wf-1 ");

        Assert.False(bad.Check.IsValid);
        Assert.Same(state, bad.State);
        Assert.True(good.Check.IsValid);
        Assert.Equal("wf-1", good.State.Inputs["workflow_id"]);
        Assert.Empty(state.Inputs);
        Assert.Throws<ArgumentException>(() => WalkthroughEngine.SubmitInput(runbook, state with { Position = WalkTarget.ToStep("status") }, "wf-1"));
    }

    [Fact]
    public void ResolveParameters_FillsPlaceholders_LeavesRegexBracesAlone()
    {
        var call = new ProbeCall
        {
            Kind = "log.search",
            Target = "platform-api",
            Parameters = new()
            {
                ["path"] = "/var/log/platform/api.log",
                ["pattern"] = @"workflow_{workflow_id}.*\d{3}\p{L}{1,64}",
                ["id"] = "{workflow_id}",
                ["note"] = "{comment}",
            },
        };

        var resolved = WalkthroughEngine.ResolveParameters(call, new Dictionary<string, string> { ["workflow_id"] = "wf-1", ["comment"] = "" });

        Assert.True(resolved.CanRun);
        Assert.Equal(@"workflow_wf-1.*\d{3}\p{L}{1,64}", resolved.Values["pattern"]);
        Assert.Equal("wf-1", resolved.Values["id"]);
        Assert.Equal("", resolved.Values["note"]);
        Assert.Equal("/var/log/platform/api.log", resolved.Values["path"]);
    }

    [Fact]
    public void ResolveParameters_MissingInput_SaysWhichStepProvidesIt()
    {
        var runbook = Runbook([Input("ask", "workflow_id"), ProbeWith("status", ("id", "{workflow_id}"), ("pattern", "{workflow_id}_{other}"))]);
        var call = runbook.Steps[1].Probe!;

        var resolved = WalkthroughEngine.ResolveParameters(runbook, call, new Dictionary<string, string>());

        Assert.False(resolved.CanRun);
        Assert.Equal([new MissingInput("workflow_id", "ask"), new MissingInput("other", null)], resolved.Missing);
        Assert.Equal("{workflow_id}", resolved.Values["id"]);
    }

    private static Recommendation Recommend(string stepId, string verdict, string findings) =>
        WalkthroughEngine.Recommend(Redis, stepId, StepOutcome.Probe(verdict, ConditionTests.Findings(findings)));

    private static RunbookStep WithNext(RunbookStep step, string next)
    {
        step.Next = next;
        return step;
    }

    private static RunbookStep ProbeWith(string id, params (string Name, string Value)[] parameters)
    {
        var step = Probe(id, "workflow.status");
        foreach (var (name, value) in parameters)
        {
            step.Probe!.Parameters[name] = value;
        }

        return step;
    }
}
