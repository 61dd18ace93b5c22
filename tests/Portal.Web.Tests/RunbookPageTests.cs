using Npgsql;
using Portal.Web.Components.Pages;

namespace Portal.Web.Tests;

public sealed class RunbookPageTests : PortalTestContext
{
    [Fact]
    public void Render_Chinese_ShowsSymptomsStepsAndSolutionsFromTheGuide()
    {
        UseCulture("zh-CN");

        var cut = Render<RunbookPage>(p => p.Add(c => c.Slug, "service-start"));

        Assert.Equal("服务启动问题", cut.Find("h1").TextContent.Trim());
        Assert.Contains("端口占用错误", cut.Find("[data-testid=runbook-symptoms]").TextContent, StringComparison.Ordinal);
        var steps = cut.FindAll("[data-testid=runbook-step]");
        Assert.Equal(["port", "unit-status", "start-log", "cause"], steps.Select(s => s.GetAttribute("data-step")));
        Assert.Equal("netstat -tulpn | grep :8000", steps[0].QuerySelector("[data-testid=step-command]")!.TextContent);
        Assert.Contains("port.owner", steps[0].QuerySelector("[data-testid=step-probe]")!.TextContent, StringComparison.Ordinal);
        Assert.Contains("platform-api", steps[0].QuerySelector("[data-testid=step-probe]")!.TextContent, StringComparison.Ordinal);
        Assert.Contains("端口冲突", cut.Find("[data-testid=runbook-solutions]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_English_TranslatesEverything()
    {
        UseCulture("en");

        var cut = Render<RunbookPage>(p => p.Add(c => c.Slug, "service-start"));

        Assert.Equal("Service fails to start", cut.Find("h1").TextContent.Trim());
        Assert.Contains("Diagnostic steps", cut.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain("服务启动问题", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void Branches_PointAtTheSolutionOnThePage()
    {
        UseCulture("en");

        var cut = Render<RunbookPage>(p => p.Add(c => c.Slug, "service-start"));

        var rule = cut.Find("[data-step=port] [data-testid=step-rules] a");
        Assert.EndsWith("#solution-port-conflict", rule.GetAttribute("href"), StringComparison.Ordinal);
        Assert.Equal("Port conflict", rule.TextContent.Trim());
        Assert.NotNull(cut.Find("#solution-port-conflict"));
    }

    [Fact]
    public void Solution_LinksToRelatedRunbooksByTheirTitle()
    {
        UseCulture("zh-CN");

        var cut = Render<RunbookPage>(p => p.Add(c => c.Slug, "service-start"));

        var links = cut.FindAll("[data-solution=dependencies] a");
        Assert.Contains(links, a => a.GetAttribute("href") == "/runbooks/database-connection" && a.TextContent.Contains("数据库连接问题", StringComparison.Ordinal));
        Assert.Contains(links, a => a.GetAttribute("href") == "/runbooks/redis-connection" && a.TextContent.Contains("Redis连接问题", StringComparison.Ordinal));
    }

    [Fact]
    public void Render_UnknownSlug_SaysSoAndLinksBack()
    {
        UseCulture("en");

        var cut = Render<RunbookPage>(p => p.Add(c => c.Slug, "does-not-exist"));

        Assert.Contains("does-not-exist", cut.Find("[data-testid=runbook-not-found]").TextContent, StringComparison.Ordinal);
        Assert.Contains(cut.FindAll("a"), a => a.GetAttribute("href") == "/");
    }

    [Fact]
    public async Task Render_DatabaseDown_ShowsTheErrorWithRetry()
    {
        UseCulture("en");
        Catalog.Failure = new NpgsqlException("timeout");

        var cut = Render<RunbookPage>(p => p.Add(c => c.Slug, "tls"));

        Assert.Contains("timeout", cut.Find("[data-testid=runbook-error]").TextContent, StringComparison.Ordinal);
        Catalog.Failure = null;
        cut.Find("[data-testid=runbook-error] button").Click();
        await cut.WaitForAssertionAsync(() => Assert.Equal("SSL/TLS problems", cut.Find("h1").TextContent.Trim()));
    }
}
