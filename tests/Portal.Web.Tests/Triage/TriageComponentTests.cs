using Portal.Runbooks.Model;
using Portal.Web.Components.Triage;
using Portal.Web.Triage;

namespace Portal.Web.Tests.Triage;

/// <summary>The triage matrix and the ranked suggestions, with plain data.</summary>
public sealed class TriageComponentTests : PortalTestContext
{
    private static readonly Guid RunId = Guid.CreateVersion7();

    private static SweepView View(string status, params SweepSuggestion[] suggestions) => new(
        Guid.CreateVersion7(), "lab", "alice", DateTimeOffset.UnixEpoch, status == "done" ? DateTimeOffset.UnixEpoch.AddSeconds(1.5) : null, status,
        ["platform-api", "platform-redis"], ["http.check", "redis.ping"],
        [
            new("platform-api", "platform-api", "http.check", Guid.CreateVersion7(), "pass", "200 OK", new Dictionary<string, string>()),
            new("platform-redis", "platform-redis", "redis.ping", RunId, status == "done" ? "fail" : "running", "connection refused", new Dictionary<string, string>()),
        ],
        suggestions);

    private static SweepSuggestion Redis => new(
        "redis-connection", LocalizedText.Of("Redis连接问题", "Redis connection problems"), 90,
        LocalizedText.Of("Redis连接问题: redis.ping refused on platform-redis", "Redis connection problems: redis.ping refused on platform-redis"),
        "ping", "redis.ping", "platform-redis", [RunId]);

    [Fact]
    public void Matrix_OneRowPerTargetOneColumnPerProbe_CellsCarryTheirStatus()
    {
        UseCulture("en");

        RenderPopoverProvider();
        var cut = Render<SweepMatrix>(p => p.Add(c => c.View, View("running")));

        Assert.Equal(4, cut.FindAll("[data-testid=triage-cell]").Count);
        Assert.Equal("running", cut.Find("[data-target='platform-redis'][data-probe='redis.ping']").GetAttribute("data-status"));
        Assert.Equal("pass", cut.Find("[data-target='platform-api'][data-probe='http.check']").GetAttribute("data-status"));
        Assert.Null(cut.Find("[data-target='platform-api'][data-probe='redis.ping']").GetAttribute("data-status"));
        Assert.Contains($"/probes?run={RunId}", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void Suggestions_Ranked_ShowTitleAndReasonInTheViewersLanguage()
    {
        UseCulture("zh-CN");

        var cut = Render<TriageSuggestions>(p => p.Add(c => c.Suggestions, [Redis]).Add(c => c.Done, true));

        var row = cut.Find("[data-testid=triage-suggestion]");
        Assert.Equal("redis-connection", row.GetAttribute("data-slug"));
        Assert.Contains("Redis连接问题: redis.ping refused on platform-redis", row.TextContent, StringComparison.Ordinal);
        Assert.Contains("#1 · 90", row.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Suggestions_NoneWhileRunningThenNoneWhenDone_SayWhich()
    {
        UseCulture("en");

        var waiting = Render<TriageSuggestions>(p => p.Add(c => c.Suggestions, []).Add(c => c.Done, false));
        var clean = Render<TriageSuggestions>(p => p.Add(c => c.Suggestions, []).Add(c => c.Done, true));

        Assert.Equal("Waiting for the checks…", waiting.Find("[data-testid=triage-clean]").TextContent.Trim());
        Assert.StartsWith("Nothing matched", clean.Find("[data-testid=triage-clean]").TextContent.Trim(), StringComparison.Ordinal);
    }
}
