using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Portal.BrowserTests.Infrastructure;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Portal.BrowserTests;

/// <summary>The catalog as an on-call engineer uses it: find the runbook for a symptom, open it, read it.</summary>
[Collection(BrowserCollection.Name)]
public sealed class CatalogTests(PortalBrowserFixture fixture)
{
    private const int AllRunbooks = 13;

    [Fact]
    public async Task Catalog_SearchPortThenOpen_ShowsServiceStartRunbookInChineseThenEnglish()
    {
        await using var session = await fixture.OpenSessionAsync(new() { Locale = "zh-CN" });
        var page = session.Page;
        await session.GotoAsync("/");

        await session.CheckAsync("catalog-zh", async () =>
        {
            await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("排障手册");
            await ExpectGroupsAsync(page,
                ("common", "常见问题诊断", 5), ("performance", "性能问题诊断", 3),
                ("network", "网络问题诊断", 2), ("emergency", "应急处理流程", 3));
            await Expect(page.GetByTestId("runbook-card")).ToHaveCountAsync(AllRunbooks);
        });

        await SearchBox(page, "搜索标题和症状").FillAsync("端口");

        await session.CheckAsync("search-port-zh", async () =>
        {
            await Expect(page).ToHaveURLAsync(QueryIs("端口"));
            // Best match first: "端口占用错误" is a symptom of service-start (title and symptoms rank first).
            // The search also reads steps and solutions, so others that mention ports (database-connection's
            // port check among them) follow.
            var cards = page.GetByTestId("runbook-card");
            await Expect(cards.First).ToHaveAttributeAsync("data-slug", "service-start");
            await Expect(page.Locator("[data-testid=runbook-card][data-slug='database-connection']")).ToHaveCountAsync(1);
            Assert.InRange(await cards.CountAsync(), 2, 12);
            await Expect(page.GetByTestId("catalog-match-count")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^共 13 本手册，\d+ 本匹配$"));
        });

        await page.GetByTestId("runbook-card").GetByRole(AriaRole.Link, new() { Name = "服务启动问题" }).ClickAsync();

        await session.CheckAsync("runbook-service-start-zh", async () =>
        {
            await Expect(page).ToHaveURLAsync(new Regex("/runbooks/service-start$"));
            await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("服务启动问题");
            await Expect(page.GetByTestId("runbook-symptoms")).ToContainTextAsync("端口占用错误");
            await Expect(page.GetByTestId("runbook-step")).ToHaveCountAsync(4);
            await Expect(Step(page, "port").GetByTestId("step-command")).ToHaveTextAsync("netstat -tulpn | grep :8000");
            await Expect(page.GetByTestId("runbook-solutions").GetByRole(AriaRole.Heading, new() { Name = "端口冲突", Exact = true }))
                .ToBeVisibleAsync();
        });
        await session.SaveViewportAsync(Screenshots.DocsPath("runbook-zh"));

        await page.GetByRole(AriaRole.Button, new() { Name = "语言" }).ClickAsync();
        await page.GetByRole(AriaRole.Menuitem, new() { Name = "English" }).ClickAsync();
        // The switch is a full page load (/culture/set, then back): wait for the English document's circuit.
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "en");
        await session.WaitForInteractiveAsync();

        await session.CheckAsync("runbook-service-start-en", () => ExpectServiceStartInEnglishAsync(page));

        await session.ReloadAsync();
        await session.CheckAsync("runbook-service-start-en-reloaded", () => ExpectServiceStartInEnglishAsync(page));
    }

    [Fact]
    public async Task Catalog_English_ShowsTranslatedHeadingAndCategories()
    {
        await using var session = await fixture.OpenSessionAsync(new() { Locale = "en-US" });
        var page = session.Page;
        await session.GotoAsync("/");

        await session.CheckAsync("catalog-en", async () =>
        {
            await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "en");
            await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Runbooks");
            await ExpectGroupsAsync(page,
                ("common", "Common problems", 5), ("performance", "Performance problems", 3),
                ("network", "Network problems", 2), ("emergency", "Emergency procedures", 3));
            await Expect(page.GetByTestId("runbook-card").First.GetByRole(AriaRole.Heading))
                .ToHaveTextAsync("Service fails to start");
        });
        await session.SaveViewportAsync(Screenshots.DocsPath("catalog"));
    }

    [Fact]
    public async Task Catalog_SearchConnectionPool_FindsDatabaseConnectionRunbook()
    {
        await using var session = await fixture.OpenSessionAsync(new() { Locale = "zh-CN" });
        var page = session.Page;
        await session.GotoAsync("/");

        await SearchBox(page, "搜索标题和症状").FillAsync("连接池");

        await session.CheckAsync("search-connection-pool-zh", async () =>
        {
            await Expect(page).ToHaveURLAsync(QueryIs("连接池"));
            await Expect(page.GetByTestId("catalog-match-count")).ToBeVisibleAsync();
            await Expect(Card(page, "database-connection")).ToBeVisibleAsync();
            await Expect(Card(page, "database-connection").GetByRole(AriaRole.Heading)).ToHaveTextAsync("数据库连接问题");
        });
    }

    [Fact]
    public async Task Catalog_SearchCertificateInEnglish_FindsTlsRunbook()
    {
        await using var session = await fixture.OpenSessionAsync(new() { Locale = "en-US" });
        var page = session.Page;
        await session.GotoAsync("/");

        await SearchBox(page, "Search titles and symptoms").FillAsync("certificate");

        await session.CheckAsync("search-certificate-en", async () =>
        {
            await Expect(page).ToHaveURLAsync(QueryIs("certificate"));
            await ExpectCardsAsync(page, "tls");
            await Expect(Card(page, "tls").GetByRole(AriaRole.Heading)).ToHaveTextAsync("SSL/TLS problems");
            await Expect(page.GetByTestId("catalog-match-count")).ToHaveTextAsync("1 of 13 runbooks match");
        });
    }

    [Fact]
    public async Task Catalog_SearchNonsense_ShowsNoMatchAndClearSearchRestoresAll()
    {
        await using var session = await fixture.OpenSessionAsync(new() { Locale = "zh-CN" });
        var page = session.Page;
        await session.GotoAsync("/");
        var search = SearchBox(page, "搜索标题和症状");

        await search.FillAsync("qwxzyv");

        await session.CheckAsync("search-no-match-zh", async () =>
        {
            await Expect(page.GetByTestId("catalog-no-match")).ToContainTextAsync("qwxzyv");
            await Expect(page.GetByTestId("runbook-card")).ToHaveCountAsync(0);
        });

        await page.GetByTestId("catalog-no-match").GetByRole(AriaRole.Button, new() { Name = "清除搜索" }).ClickAsync();

        await session.CheckAsync("search-cleared-zh", async () =>
        {
            await Expect(page.GetByTestId("runbook-card")).ToHaveCountAsync(AllRunbooks);
            await Expect(page.GetByTestId("catalog-no-match")).ToHaveCountAsync(0);
            await Expect(search).ToHaveValueAsync("");
            await Expect(page).Not.ToHaveURLAsync(new Regex(@"[?&]q="));
        });
    }

    private static async Task ExpectServiceStartInEnglishAsync(IPage page)
    {
        await Expect(page).ToHaveURLAsync(new Regex("/runbooks/service-start$"));
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "en");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Service fails to start");
        await Expect(page.GetByTestId("runbook-step").GetByRole(AriaRole.Heading, new() { Level = 3 })).ToHaveTextAsync(
            ["Check who holds the port", "Check the service state", "Read the start-up log", "Decide on the cause"]);
        await Expect(page.GetByTestId("runbook-symptoms")).ToContainTextAsync("Port already in use");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Language" })).ToBeVisibleAsync();
    }

    /// <summary>The catalog shows exactly these category groups, in this order, each with its count.</summary>
    private static async Task ExpectGroupsAsync(IPage page, params (string Key, string Title, int Count)[] groups)
    {
        var all = page.GetByTestId("catalog-group");
        await Expect(all).ToHaveCountAsync(groups.Length);
        for (var i = 0; i < groups.Length; i++)
        {
            var (key, title, count) = groups[i];
            var group = all.Nth(i);
            await Expect(group).ToHaveAttributeAsync("data-category", key);
            await Expect(group.GetByRole(AriaRole.Heading, new() { Level = 2 })).ToHaveTextAsync(title);
            await Expect(group.GetByTestId("catalog-group-count")).ToHaveTextAsync(count.ToString());
            await Expect(group.GetByTestId("runbook-card")).ToHaveCountAsync(count);
        }
    }

    /// <summary>Exactly these runbook cards, in this order.</summary>
    private static async Task ExpectCardsAsync(IPage page, params string[] slugs)
    {
        var cards = page.GetByTestId("runbook-card");
        await Expect(cards).ToHaveCountAsync(slugs.Length);
        for (var i = 0; i < slugs.Length; i++)
        {
            await Expect(cards.Nth(i)).ToHaveAttributeAsync("data-slug", slugs[i]);
        }
    }

    private static ILocator SearchBox(IPage page, string label) =>
        page.GetByRole(AriaRole.Searchbox, new() { Name = label });

    private static ILocator Card(IPage page, string slug) => page.Locator($"[data-testid=runbook-card][data-slug='{slug}']");

    private static ILocator Step(IPage page, string id) => page.Locator($"[data-testid=runbook-step][data-step='{id}']");

    /// <summary>The address bar carries the search (?q=), percent-encoded as Blazor writes it.</summary>
    private static Regex QueryIs(string query) => new($@"[?&]q={Regex.Escape(Uri.EscapeDataString(query))}(&|$)");
}
