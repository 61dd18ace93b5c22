using AngleSharp.Dom;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Web.Components.Pages;

namespace Portal.Web.Tests;

public sealed class CatalogTests : PortalTestContext
{
    private static string[] Slugs(IRenderedComponent<Catalog> cut) =>
        [.. cut.FindAll("[data-testid=runbook-card]").Select(c => c.GetAttribute("data-slug")!)];

    private static void Search(IRenderedComponent<Catalog> cut, string text) =>
        cut.Find("input[data-testid=catalog-search]").Input(text);

    [Fact]
    public void Render_GroupsRunbooksByCategory_InTheGuidesOrder()
    {
        UseCulture("en");

        var cut = Render<Catalog>();

        var groups = cut.FindAll("[data-testid=catalog-group]");
        Assert.Equal(["common", "performance", "network", "emergency"], groups.Select(g => g.GetAttribute("data-category")));
        Assert.Equal(["5", "3", "2", "3"], groups.Select(g => g.QuerySelector("[data-testid=catalog-group-count]")!.TextContent.Trim()));
        Assert.Equal(13, Slugs(cut).Length);
        Assert.Equal("service-start", Slugs(cut)[0]);
    }

    [Fact]
    public void Render_InChinese_ShowsTheGuidesOwnWords()
    {
        UseCulture("zh-CN");

        var cut = Render<Catalog>();

        Assert.Equal("排障手册", cut.Find("h1").TextContent.Trim());
        Assert.Equal(["常见问题诊断", "性能问题诊断", "网络问题诊断", "应急处理流程"], cut.FindAll("h2").Select(h => h.TextContent.Trim()));
        Assert.Contains("服务启动问题", cut.Find("[data-slug=service-start] h3").TextContent, StringComparison.Ordinal);
        Assert.Contains("端口占用错误", cut.Find("[data-slug=service-start]").TextContent, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("端口", "service-start")]
    [InlineData("连接池", "database-connection")]
    [InlineData("certificate", "tls")]
    public async Task Search_SymptomWord_ShowsTheMatchingRunbookFirst(string query, string slug)
    {
        UseCulture("en");
        var cut = Render<Catalog>();

        Search(cut, query);

        await cut.WaitForAssertionAsync(() =>
        {
            Assert.Equal(slug, Slugs(cut)[0]);
            Assert.True(Slugs(cut).Length < 13);
            Assert.NotNull(cut.Find("[data-testid=catalog-match-count]"));
        });
        Assert.EndsWith($"?q={Uri.EscapeDataString(query)}", Services.GetRequiredService<NavigationManager>().Uri, StringComparison.Ordinal);
    }

    [Fact]
    public void Search_FromTheAddressBar_IsAppliedOnArrival()
    {
        UseCulture("zh-CN");
        Services.GetRequiredService<NavigationManager>().NavigateTo("/?q=%E8%BF%9E%E6%8E%A5%E6%B1%A0");

        var cut = Render<Catalog>();

        Assert.Equal("database-connection", Slugs(cut)[0]);
    }

    [Fact]
    public async Task Search_NothingMatches_SaysSoAndClearingRestoresEverything()
    {
        UseCulture("en");
        var cut = Render<Catalog>();

        Search(cut, "kubernetes-operator-xyz");
        await cut.WaitForAssertionAsync(() => Assert.Contains("kubernetes-operator-xyz", cut.Find("[data-testid=catalog-no-match]").TextContent, StringComparison.Ordinal));
        cut.Find("[data-testid=catalog-no-match] button").Click();

        await cut.WaitForAssertionAsync(() => Assert.Equal(13, Slugs(cut).Length));
    }

    [Fact]
    public async Task Load_DatabaseDown_ShowsWhyAndRetryRecovers()
    {
        UseCulture("en");
        Catalog.Failure = new NpgsqlException("Connection refused 127.0.0.1:15432");

        var cut = Render<Catalog>();

        var error = cut.Find("[data-testid=catalog-error]");
        Assert.Contains("Connection refused", error.TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=runbook-card]"));

        Catalog.Failure = null;
        cut.Find("[data-testid=catalog-error] button").Click();
        await cut.WaitForAssertionAsync(() => Assert.Equal(13, Slugs(cut).Length));
    }

    [Fact]
    public void Card_LinksToTheRunbookPage()
    {
        UseCulture("en");

        var cut = Render<Catalog>();

        IElement card = cut.Find("[data-slug=tls]");
        Assert.Contains(card.QuerySelectorAll("a"), a => a.GetAttribute("href") == "/runbooks/tls");
    }
}
