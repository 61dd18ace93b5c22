using System.Text.Json;
using Portal.Runbooks.Engine;
using Portal.Runbooks.Model;
using Portal.Web.Components.Walkthrough;
using Portal.Web.Incidents;
using Portal.Web.Tests.Live;

namespace Portal.Web.Tests.Walkthrough;

/// <summary>The walkthrough panels with plain data: the seeded Redis runbook, no database.</summary>
public sealed class WalkthroughComponentTests : RunViewerTestContext
{
    private RunbookContent Redis => Catalog.Runbooks.Single(r => r.Slug == "redis-connection").Content;

    private static IncidentEvent Event(long seq, string type, object payload) =>
        new(seq, DateTimeOffset.UnixEpoch.AddMinutes(seq), "alice", type, JsonSerializer.SerializeToElement(payload, JsonSerializerOptions.Web));

    [Fact]
    public void StepPanel_ProbeStepNotRun_ShowsProbeBoundTargetAndRunButton()
    {
        UseCulture("en");
        var runs = 0;
        var step = Redis.Steps[0];

        var cut = Render<WalkStepPanel>(p => p
            .Add(c => c.Step, step).Add(c => c.Number, 1).Add(c => c.Language, "en")
            .Add(c => c.BoundTarget, "redis-main").Add(c => c.CanAct, true).Add(c => c.OnRun, () => runs++));

        Assert.Equal("Test the Redis connection", cut.Find("[data-testid=walk-step-title]").TextContent.Trim());
        Assert.Contains("redis.ping", cut.Find("[data-testid=walk-probe]").TextContent, StringComparison.Ordinal);
        Assert.Contains("redis-main", cut.Find("[data-testid=walk-probe]").TextContent, StringComparison.Ordinal);
        Assert.Equal("redis-cli -h localhost -p 6379 ping", cut.Find("[data-testid=walk-command]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=run-viewer]"));
        cut.Find("button[data-testid=walk-run]").Click();
        Assert.Equal(1, runs);
    }

    [Fact]
    public void StepPanel_RunRunning_RunDisabledAndLiveOutputShown()
    {
        UseCulture("zh-CN");
        var run = new StepRun(Guid.CreateVersion7(), "redis.ping", "redis-main", "running");

        var cut = Render<WalkStepPanel>(p => p
            .Add(c => c.Step, Redis.Steps[0]).Add(c => c.Number, 1).Add(c => c.Language, "zh-CN")
            .Add(c => c.BoundTarget, "redis-main").Add(c => c.CanAct, true).Add(c => c.Run, run));

        var button = cut.Find("button[data-testid=walk-run]");
        Assert.True(button.HasAttribute("disabled"));
        Assert.Contains("运行中", button.TextContent, StringComparison.Ordinal);
        Assert.Equal(run.RunId.ToString(), cut.Find("[data-testid=run-viewer]").GetAttribute("data-run"));
    }

    [Fact]
    public void StepPanel_UnboundRoleOrViewer_NoRunButtonForViewersAndAWarningWhenUnbound()
    {
        UseCulture("en");

        var viewer = Render<WalkStepPanel>(p => p
            .Add(c => c.Step, Redis.Steps[0]).Add(c => c.Number, 1).Add(c => c.Language, "en").Add(c => c.BoundTarget, "redis-main"));
        var unbound = Render<WalkStepPanel>(p => p
            .Add(c => c.Step, Redis.Steps[0]).Add(c => c.Number, 1).Add(c => c.Language, "en").Add(c => c.CanAct, true));

        Assert.Empty(viewer.FindAll("[data-testid=walk-run]"));
        Assert.True(unbound.Find("button[data-testid=walk-run]").HasAttribute("disabled"));
        Assert.Contains("platform-redis", unbound.Find("[data-testid=walk-unbound]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void StepPanel_InputNotMatchingThePattern_ShowsThePatternErrorAndSubmitsNothing()
    {
        UseCulture("en");
        var step = new RunbookStep
        {
            Id = "wf", Kind = StepKind.Input, Title = LocalizedText.Of("工作流", "Workflow"),
            Input = new StepInput { Name = "workflow_id", Label = LocalizedText.Of("工作流ID", "Workflow id"), Pattern = "[a-z0-9-]{4,}" },
        };
        var submitted = new List<string>();

        var cut = Render<WalkStepPanel>(p => p
            .Add(c => c.Step, step).Add(c => c.Number, 1).Add(c => c.Language, "en").Add(c => c.CanAct, true)
            .Add(c => c.OnSubmitInput, v => submitted.Add(v)));

        cut.Find("input[data-testid=walk-input-value]").Input("No Way!");
        cut.Find("button[data-testid=walk-input-submit]").Click();
        Assert.Contains("does not match the pattern [a-z0-9-]{4,}", cut.Find("[data-testid=walk-input]").TextContent, StringComparison.Ordinal);
        Assert.Empty(submitted);

        cut.Find("input[data-testid=walk-input-value]").Input("  wf-1234 ");
        cut.Find("button[data-testid=walk-input-submit]").Click();
        Assert.Equal(["wf-1234"], submitted);
    }

    [Fact]
    public void StepPanel_DecisionStep_OptionButtonsChooseTheirTarget()
    {
        UseCulture("zh-CN");
        var chosen = new List<string>();
        var decision = Redis.Steps.Single(s => s.Kind == StepKind.Decision);

        var cut = Render<WalkStepPanel>(p => p
            .Add(c => c.Step, decision).Add(c => c.Number, 7).Add(c => c.Language, "zh-CN").Add(c => c.CanAct, true)
            .Add(c => c.OnChoose, t => chosen.Add(t)));

        var options = cut.FindAll("button[data-testid=walk-option]");
        Assert.Equal(4, options.Count);
        options.Single(o => o.TextContent.Contains("网络或防火墙问题", StringComparison.Ordinal)).Click();
        Assert.Equal(["solution:network"], chosen);
    }

    [Fact]
    public void Recommendation_RuleMatched_ShowsReasonAndRuleAndFollowsIt()
    {
        UseCulture("zh-CN");
        var chosen = new List<string>();
        var recommendation = WalkthroughEngine.Recommend(Redis, "ping",
            StepOutcome.Probe("fail", new Dictionary<string, string> { ["redis.error"] = "refused" }));

        var cut = Render<RecommendationPanel>(p => p
            .Add(c => c.Content, Redis).Add(c => c.Position, WalkTarget.ToStep("ping")).Add(c => c.Recommendation, recommendation)
            .Add(c => c.Language, "zh-CN").Add(c => c.CanAct, true).Add(c => c.OnChoose, t => chosen.Add(t)));

        Assert.Equal("redis-port", cut.Find("[data-testid=walk-recommendation]").GetAttribute("data-target"));
        Assert.Contains("2. 检查网络连接", cut.Find("[data-testid=walk-recommendation-target]").TextContent, StringComparison.Ordinal);
        Assert.Contains("连接被拒绝", cut.Find("[data-testid=walk-recommendation-reason]").TextContent, StringComparison.Ordinal);
        Assert.Contains("redis.error == refused → 2. 检查网络连接", cut.Find("[data-testid=walk-recommendation-rule]").TextContent, StringComparison.Ordinal);
        cut.Find("button[data-testid=walk-follow]").Click();
        Assert.Equal(["redis-port"], chosen);
    }

    [Fact]
    public void Recommendation_ChooseAnotherDifferent_SaysItIsRecordedAsAnOverride()
    {
        UseCulture("en");
        RenderPopoverProvider();
        var chosen = new List<string>();
        var recommendation = WalkthroughEngine.Recommend(Redis, "ping", StepOutcome.Probe("pass", new Dictionary<string, string>()));

        var cut = Render<RecommendationPanel>(p => p
            .Add(c => c.Content, Redis).Add(c => c.Position, WalkTarget.ToStep("ping")).Add(c => c.Recommendation, recommendation)
            .Add(c => c.Language, "en").Add(c => c.CanAct, true).Add(c => c.OnChoose, t => chosen.Add(t)));

        Assert.Equal("memory", cut.Find("[data-testid=walk-recommendation]").GetAttribute("data-target"));
        Assert.Empty(cut.FindAll("[data-testid=walk-recommendation-rule]"));
        cut.Find("button[data-testid=walk-choose-other]").Click();
        Assert.Empty(cut.FindAll("[data-testid=walk-override-note]"));
        var select = cut.FindComponent<MudBlazor.MudSelect<string>>();
        cut.InvokeAsync(() => select.Instance.SelectOption("solution:network"));
        Assert.Contains("override", cut.Find("[data-testid=walk-override-note]").TextContent, StringComparison.Ordinal);
        cut.Find("button[data-testid=walk-choose-go]").Click();
        Assert.Equal(["solution:network"], chosen);
    }

    [Fact]
    public void Recommendation_Viewer_ShowsTheProposalWithoutButtons()
    {
        UseCulture("en");
        var recommendation = WalkthroughEngine.Recommend(Redis, "ping", StepOutcome.Probe("pass", new Dictionary<string, string>()));

        var cut = Render<RecommendationPanel>(p => p
            .Add(c => c.Content, Redis).Add(c => c.Position, WalkTarget.ToStep("ping")).Add(c => c.Recommendation, recommendation).Add(c => c.Language, "en"));

        Assert.Contains("Check memory use", cut.Markup, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("button"));
    }

    [Fact]
    public void StepList_MarksDoneCurrentAndUpcoming_WithTheLastVerdict()
    {
        UseCulture("en");
        var run = Guid.CreateVersion7();
        IncidentEvent[] timeline =
        [
            Event(1, IncidentEventTypes.StepEntered, new { target = "ping", kind = "step" }),
            Event(2, IncidentEventTypes.ProbeStarted, new ProbeStartedPayload(run, "ping", "redis.ping", "platform-redis", "redis-main")),
            Event(3, IncidentEventTypes.ProbeFinished, new ProbeFinishedPayload(run, "ping", "redis.ping", "redis-main", "pass", "pass", "PONG", new Dictionary<string, string>())),
            Event(4, IncidentEventTypes.StepEntered, new { target = "memory", kind = "step", from = "ping" }),
        ];

        var cut = Render<WalkStepList>(p => p
            .Add(c => c.Content, Redis).Add(c => c.Position, WalkTarget.ToStep("memory")).Add(c => c.Timeline, timeline)
            .Add(c => c.Runs, WalkthroughText.LastRuns(timeline)).Add(c => c.Language, "en"));

        string Progress(string step) => cut.Find($"[data-testid=walk-steps] li[data-step='{step}']").GetAttribute("data-progress")!;
        Assert.Equal("done", Progress("ping"));
        Assert.Equal("current", Progress("memory"));
        Assert.Equal("upcoming", Progress("slowlog"));
        Assert.Equal("step", cut.Find("li[data-step=memory]").GetAttribute("aria-current"));
        Assert.Equal("Passed", cut.Find("li[data-step=ping] [data-testid=walk-step-verdict]").TextContent.Trim());
    }

    [Fact]
    public void Timeline_DescribesEventsInTheLanguage_OldestFirst()
    {
        UseCulture("zh-CN");
        IncidentEvent[] timeline =
        [
            Event(1, IncidentEventTypes.Started, new { environment = "local" }),
            Event(2, IncidentEventTypes.Override, new { from = "ping", chosen = "solution:network", recommended = "memory" }),
            Event(3, IncidentEventTypes.Note, new { text = "客户反馈已恢复" }),
        ];

        var cut = Render<IncidentTimeline>(p => p.Add(c => c.Events, timeline).Add(c => c.Content, Redis).Add(c => c.Language, "zh-CN"));

        var items = cut.FindAll("[data-testid=walk-event]");
        Assert.Equal(["started", "override", "note"], items.Select(i => i.GetAttribute("data-type")));
        Assert.Contains("在环境 local 中开始排查", items[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("选择了 网络，而不是建议的 3. 检查内存使用", items[1].TextContent, StringComparison.Ordinal);
        Assert.Contains("客户反馈已恢复", items[2].TextContent, StringComparison.Ordinal);
        Assert.Contains("alice", items[2].TextContent, StringComparison.Ordinal);
    }
}
