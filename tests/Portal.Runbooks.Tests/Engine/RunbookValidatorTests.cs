using Portal.Runbooks.Engine;
using Portal.Runbooks.Model;
using static Portal.Runbooks.Tests.Engine.TestRunbooks;

namespace Portal.Runbooks.Tests.Engine;

public sealed class RunbookValidatorTests
{
    /// <summary>Each way to break <see cref="Sound"/>, and the problem it must produce.</summary>
    private static readonly Dictionary<string, (Action<RunbookContent> Break, string Path, string Message)> Breakages = new()
    {
        ["runbook title empty"] = (r => r.Title = new LocalizedText(), "title", "title is empty"),
        ["no steps"] = (r => r.Steps.Clear(), "steps", "the runbook has no steps"),
        ["duplicate step id"] = (r => r.Steps[3].Id = "check", "steps[3].id", "duplicate step id 'check' (also steps[1])"),
        ["empty step id"] = (r => r.Steps[3].Id = " ", "steps[3].id", "step id is empty"),
        ["step id like a solution"] = (r => r.Steps[3].Id = "solution:fix", "steps[3].id", "a step id cannot start with 'solution:'"),
        ["duplicate solution id"] = (r => r.Solutions[1].Id = "fix", "solutions[1].id", "duplicate solution id 'fix' (also solutions[0])"),
        ["empty solution id"] = (r => r.Solutions[1].Id = "", "solutions[1].id", "solution id is empty"),
        ["solution title empty"] = (r => r.Solutions[0].Title = LocalizedText.Of("", " "), "solutions[0].title", "title is empty"),
        ["step title empty"] = (r => r.Steps[2].Title = new LocalizedText(), "steps[2].title", "title is empty"),
        ["rule to no step"] = (r => r.Steps[1].Rules[0].Goto = "nowhere", "steps[1].rules[0].goto", "no step 'nowhere'"),
        ["rule to no solution"] = (r => r.Steps[1].Rules[0].Goto = "solution:nope", "steps[1].rules[0].goto", "no solution 'nope'"),
        ["rule to nothing"] = (r => r.Steps[1].Rules[0].Goto = "", "steps[1].rules[0].goto", "target is empty"),
        ["rule does not parse"] = (r => r.Steps[1].Rules[0].When = "x.error exists)", "steps[1].rules[0].when", "unexpected ')' at 14"),
        ["rule without reason"] = (r => r.Steps[1].Rules[0].Reason = new LocalizedText(), "steps[1].rules[0].reason", "reason is empty"),
        ["rules on a manual step"] = (r => r.Steps[3].Rules.Add(Rule("x exists", "check")), "steps[3].rules", "rules are only checked on probe steps, not on a manual step"),
        ["next to no step"] = (r => r.Steps[3].Next = "gone", "steps[3].next", "no step 'gone'"),
        ["next on a decision"] = (r => r.Steps[2].Next = "fix-it", "steps[2].next", "a decision step goes where its options point; next is never used"),
        ["option to no step"] = (r => r.Steps[2].Options[1].Goto = "gone", "steps[2].options[1].goto", "no step 'gone'"),
        ["option without label"] = (r => r.Steps[2].Options[0].Label = new LocalizedText(), "steps[2].options[0].label", "label is empty"),
        ["decision without options"] = (r => r.Steps[2].Options.Clear(), "steps[2].options", "a decision step needs options"),
        ["probe step without probe"] = (r => r.Steps[1].Probe = null, "steps[1].probe", "a probe step needs a probe"),
        ["probe without kind"] = (r => r.Steps[1].Probe!.Kind = "", "steps[1].probe.kind", "probe kind is empty"),
        ["probe without target"] = (r => r.Steps[1].Probe!.Target = " ", "steps[1].probe.target", "target role is empty"),
        ["input step without input"] = (r => r.Steps[0].Input = null, "steps[0].input.name", "an input step needs a name"),
        ["input without name"] = (r => r.Steps[0].Input!.Name = "", "steps[0].input.name", "an input step needs a name"),
        ["input name not a placeholder name"] = (r => r.Steps[0].Input!.Name = "Workflow-Id", "steps[0].input.name", "'Workflow-Id' is not a valid input name (lower-case letters, digits and '_')"),
        ["input pattern invalid"] = (r => r.Steps[0].Input!.Pattern = "([a-z", "steps[0].input.pattern", "not a valid regular expression: …"),
        ["input asked twice"] = (r => r.Steps.Insert(1, Input("again", "workflow_id")), "steps[1].input.name", "input 'workflow_id' is already asked for by steps[0]"),
        ["unreachable step"] = (r => r.Steps.Add(Manual("orphan")), "steps[4]", "step 'orphan' cannot be reached from the first step"),
        ["step after a decision is no fall-through"] = (r => r.Steps.Insert(3, Manual("after-decision", "fix-it")), "steps[3]", "step 'after-decision' cannot be reached from the first step"),
        ["step after a Next is no fall-through"] = (r => r.Steps[1].Next = "solution:other", "steps[2]", "step 'decide' cannot be reached from the first step"),
        ["placeholder without input"] = (r => r.Steps[1].Probe!.Parameters["extra"] = "{nope}", "steps[1].probe.parameters.extra", "'{nope}' is not the name of any input step"),
        ["placeholder before its input"] = (
            r => r.Steps.Insert(0, ProbeUsing("early", "{workflow_id}")),
            "steps[0].probe.parameters.id",
            "'{workflow_id}' comes from step 'ask', which never comes before this step"),
    };

    public static TheoryData<string> BreakageNames => [.. Breakages.Keys];

    [Fact]
    public void Validate_SoundRunbook_HasNoProblems()
    {
        Assert.Empty(RunbookValidator.Validate(Sound()));
    }

    [Theory]
    [MemberData(nameof(BreakageNames))]
    public void Validate_BrokenRunbook_ReportsWhereAndWhat(string breakage)
    {
        var (breakIt, path, message) = Breakages[breakage];
        var runbook = Sound();
        breakIt(runbook);

        var problems = RunbookValidator.Validate(runbook);

        // "…" at the end: the rest is .NET's own wording.
        if (message.EndsWith('…'))
        {
            Assert.Contains(problems, p => p.Path == path && p.Message.StartsWith(message[..^1], StringComparison.Ordinal) && p.Message.Length > message.Length);
        }
        else
        {
            Assert.Contains(new RunbookProblem(path, message), problems);
        }
    }

    [Fact]
    public void Validate_StepReachedOnlyByFallThrough_IsReachable()
    {
        var runbook = Runbook([Manual("a"), Manual("b"), Probe("c", "x", Rule("x exists", "solution:s")), Manual("d")], "s");

        Assert.Empty(RunbookValidator.Validate(runbook));
    }

    [Fact]
    public void Validate_PlaceholderFilledOnOnePathOnly_IsAccepted()
    {
        // "ask" sits on one branch of the decision; the probe can be reached with or without it.
        var runbook = Runbook(
            [Decision("which", "ask", "use"), Input("ask", "workflow_id"), ProbeUsing("use", "{workflow_id}")],
            "s");

        Assert.Empty(RunbookValidator.Validate(runbook));
    }

    [Fact]
    public void Validate_LoopBackToAnEarlierStep_IsFine()
    {
        var runbook = Runbook([Input("ask", "workflow_id"), ProbeUsing("use", "{workflow_id}", Rule("log.matches == 0", "ask"))], "s");

        Assert.Empty(RunbookValidator.Validate(runbook));
    }

    [Fact]
    public void Validate_WithKnownSlugs_ChecksSolutionLinks()
    {
        var runbook = Sound();
        runbook.Solutions[0].Links.AddRange(["redis-connection", "nope"]);

        Assert.Empty(RunbookValidator.Validate(runbook));
        Assert.Equal(
            [new RunbookProblem("solutions[0].links[1]", "no runbook 'nope'")],
            RunbookValidator.Validate(runbook, ["redis-connection"]));
    }

    [Fact]
    public void Validate_ProblemsAreInDocumentOrder_AndPrintAsPathColonMessage()
    {
        var runbook = Sound();
        runbook.Title = new LocalizedText();
        runbook.Steps[1].Rules[0].Goto = "nowhere";

        var problems = RunbookValidator.Validate(runbook);

        Assert.Equal(["title: title is empty", "steps[1].rules[0].goto: no step 'nowhere'"], problems.Select(p => p.ToString()));
    }

    /// <summary>ask (input) → check (probe using it, rule) → decide → fix-it (manual, next: solution).</summary>
    private static RunbookContent Sound() => Runbook(
        [
            Input("ask", "workflow_id", "^[a-z0-9-]+$"),
            ProbeUsing("check", "{workflow_id}", Rule("x.error exists", "solution:fix")),
            Decision("decide", "solution:fix", "fix-it"),
            Manual("fix-it", "solution:other"),
        ],
        "fix", "other");

    private static RunbookStep ProbeUsing(string id, string value, params BranchRule[] rules)
    {
        var step = Probe(id, "workflow.status", rules);
        step.Probe!.Parameters["id"] = value;
        return step;
    }
}
