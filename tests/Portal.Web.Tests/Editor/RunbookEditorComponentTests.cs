using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Portal.Probes;
using Portal.Runbooks.Authoring;
using Portal.Runbooks.Engine;
using Portal.Runbooks.Model;
using Portal.Runbooks.Seed;
using Portal.Runbooks.Storage;
using Portal.Web.Authoring;
using Portal.Web.Components.Editor;

namespace Portal.Web.Tests.Editor;

/// <summary>The editor's forms and the diff and conflict views, with plain runbook data.</summary>
public sealed class RunbookEditorComponentTests : PortalTestContext
{
    private static readonly ProbeCatalog Probes = new ServiceCollection().AddProbes().BuildServiceProvider().GetRequiredService<ProbeCatalog>();

    private int _changes;

    private static RunbookContent Seeded(string slug) =>
        RunbookJson.Deserialize<RunbookContent>(RunbookJson.Serialize(GuideSeeder.LoadRunbooks().Single(r => r.Slug == slug).ToContent()));

    private RunbookEditorState State(RunbookContent content) =>
        new(content, [.. Probes.Descriptors], ["platform-api", "platform-redis"], () =>
        {
            _changes++;
            return Task.CompletedTask;
        });

    private IRenderedComponent<StepEditor> RenderStep(RunbookEditorState state, int index) =>
        Render<StepEditor>(p => p
            .AddCascadingValue(state)
            .Add(s => s.Step, state.Content.Steps[index])
            .Add(s => s.Index, index)
            .Add(s => s.Count, state.Content.Steps.Count));

    [Fact]
    public void StepEditor_TypingTheEnglishTitle_ChangesTheStepAndNotifiesTheEditor()
    {
        var state = State(Seeded("service-start"));
        var cut = RenderStep(state, 1);

        cut.Find("input[data-testid=step-title-en]").Input("Check the unit again");

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("Check the unit again", state.Content.Steps[1].Title[Languages.English]);
            Assert.True(_changes > 0);
        });
    }

    [Fact]
    public void StepEditor_BothLanguages_AreEditableSideBySide()
    {
        var state = State(Seeded("service-start"));

        var cut = RenderStep(state, 0);

        Assert.Equal(state.Content.Steps[0].Title[Languages.Chinese], cut.Find("input[data-testid=step-title-zh-CN]").GetAttribute("value"));
        Assert.Equal(state.Content.Steps[0].Title[Languages.English], cut.Find("input[data-testid=step-title-en]").GetAttribute("value"));
    }

    [Fact]
    public void StepEditor_ProblemsAtItsPaths_AreShownInline()
    {
        var state = State(Seeded("service-start"));
        state.Problems = [new("steps[0].title", "title is empty"), new("steps[0].rules[0].goto", "no solution 'nowhere'")];

        var cut = RenderStep(state, 0);

        Assert.Contains("title is empty", cut.Find("[data-testid=step-editor-0]").TextContent, StringComparison.Ordinal);
        Assert.Contains("no solution 'nowhere'", cut.Find("[data-testid=step-editor-0]").TextContent, StringComparison.Ordinal);
        Assert.Contains("portal-editor-invalid", cut.Find("[data-testid=step-editor-0]").ClassName, StringComparison.Ordinal);
    }

    [Fact]
    public void StepEditor_ProbeStep_HasTheFormGeneratedFromTheProbeSchemaAndWritesParameters()
    {
        var state = State(Seeded("service-start"));
        var cut = RenderStep(state, 0);

        cut.Find("input[data-testid=param-port]").Input("8001");

        cut.WaitForAssertion(() => Assert.Equal("8001", state.Content.Steps[0].Probe!.Parameters["port"]));
    }

    [Fact]
    public void StepEditor_ParameterProblemFromValidation_ShowsUnderThatParameter()
    {
        var state = State(Seeded("service-start"));
        state.Problems = [new("steps[0].probe.parameters.port", "port must be a whole number.")];

        var cut = RenderStep(state, 0);

        var field = cut.Find("input[data-testid=param-port]").Closest(".mud-input-control")!;
        Assert.Contains("port must be a whole number.", field.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void RuleEditor_SimpleCondition_IsSplitIntoFindingOperatorAndValue()
    {
        var state = State(Seeded("service-start"));
        var rule = new BranchRule { When = "redis.memory.used_pct >= 95", Goto = "solution:port-conflict", Reason = LocalizedText.Of("满", "full") };

        var cut = Render<RuleEditor>(p => p.AddCascadingValue(state).Add(r => r.Rule, rule).Add(r => r.Path, "steps[0].rules[0]"));
        cut.Find("input[data-testid=rule-value]").Input("90");

        Assert.Equal("redis.memory.used_pct", cut.Find("input[data-testid=rule-key]").GetAttribute("value"));
        cut.WaitForAssertion(() => Assert.Equal("redis.memory.used_pct >= 90", rule.When));
    }

    [Fact]
    public void RuleEditor_ConditionThatDoesNotParse_ShowsTheParserMessage()
    {
        var state = State(Seeded("service-start"));
        var rule = new BranchRule { When = "port.owner.pid >>> 3 &&", Goto = "solution:port-conflict", Reason = LocalizedText.Of("x", "x") };
        Assert.False(Condition.TryParse(rule.When, out _, out var error));

        var cut = Render<RuleEditor>(p => p.AddCascadingValue(state).Add(r => r.Rule, rule).Add(r => r.Path, "steps[0].rules[0]"));

        Assert.NotNull(cut.Find("input[data-testid=rule-when]"));
        Assert.Contains(error!.Message, cut.Find("input[data-testid=rule-when]").Closest(".mud-input-control")!.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void LocalizedInput_Markdown_PreviewsWithoutRawHtmlOrScriptLinks()
    {
        var state = State(Seeded("service-start"));
        var text = LocalizedText.Of("**加粗** <script>alert(1)</script>", "[x](javascript:alert(1)) *fine*");

        var cut = Render<LocalizedInput>(p => p.AddCascadingValue(state).Add(i => i.Text, text).Add(i => i.Label, "Body")
            .Add(i => i.Path, "summary").Add(i => i.Markdown, true).Add(i => i.Lines, 3).Add(i => i.TestId, "md"));

        var zh = cut.Find("[data-testid=md-zh-CN-preview]");
        var en = cut.Find("[data-testid=md-en-preview]");
        Assert.Equal("加粗", zh.QuerySelector("strong")!.TextContent);
        Assert.Null(zh.QuerySelector("script"));
        Assert.DoesNotContain("javascript:", en.InnerHtml, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("fine", en.QuerySelector("em")!.TextContent);
    }

    [Fact]
    public void DiffView_ChangedTitle_ShowsTheFieldWithDeletedAndInsertedText()
    {
        var before = Seeded("tls");
        var after = Seeded("tls");
        after.Title[Languages.English] = "TLS and certificates";
        var diff = RunbookDiff.Compare("tls", before, after);

        var cut = Render<DiffView>(p => p.Add(d => d.Fields, diff.Fields).Add(d => d.OldLines, diff.OldLines).Add(d => d.NewLines, diff.NewLines));

        var row = Assert.Single(cut.FindAll("[data-testid=diff-field]"));
        Assert.Contains("title.en", row.TextContent, StringComparison.Ordinal);
        Assert.Contains("and", string.Concat(row.QuerySelectorAll("ins").Select(e => e.TextContent)), StringComparison.Ordinal);
        Assert.NotEmpty(row.QuerySelectorAll("del, ins"));
    }

    [Fact]
    public void DiffView_NoChanges_SaysSo()
    {
        var cut = Render<DiffView>(p => p.Add(d => d.Fields, []));

        Assert.NotNull(cut.Find("[data-testid=diff-empty]"));
    }

    [Fact]
    public void ConflictView_ShowsTheirChangesAndMineSideBySide()
    {
        var based = Seeded("tls");
        var theirs = Seeded("tls");
        theirs.Title[Languages.English] = "Their title";
        var mine = Seeded("tls");
        mine.Summary[Languages.English] = "My summary";
        var current = new RunbookVersion("tls", 2, theirs, "bob", "renamed", VersionSources.User, DateTimeOffset.UtcNow, false);

        var cut = Render<ConflictView>(p => p.Add(c => c.Conflict, RunbookAuthoring.Conflict("tls", 1, based, current, mine)));

        Assert.Contains("title.en", cut.Find("[data-testid=conflict-theirs]").TextContent, StringComparison.Ordinal);
        Assert.Contains("Their", string.Concat(cut.Find("[data-testid=conflict-theirs]").QuerySelectorAll("ins").Select(e => e.TextContent)), StringComparison.Ordinal);
        Assert.Contains("summary.en", cut.Find("[data-testid=conflict-yours]").TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain("title.en", cut.Find("[data-testid=conflict-yours]").TextContent, StringComparison.Ordinal);
        Assert.Contains("bob", cut.Find("[data-testid=conflict]").TextContent, StringComparison.Ordinal);
    }
}
