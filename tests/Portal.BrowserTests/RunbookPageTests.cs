using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Portal.BrowserTests.Infrastructure;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Portal.BrowserTests;

[Collection(BrowserCollection.Name)]
public sealed class RunbookPageTests(PortalBrowserFixture fixture)
{
    [Fact]
    public async Task RunbookPage_UnknownSlug_ShowsNotFoundWithLinkBackToCatalog()
    {
        await using var session = await fixture.OpenSessionAsync(new() { Locale = "zh-CN" });
        var page = session.Page;
        await session.GotoAsync("/runbooks/does-not-exist");

        await session.CheckAsync("runbook-not-found-zh", async () =>
        {
            await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("页面不存在");
            await Expect(page.GetByTestId("runbook-not-found")).ToContainTextAsync("does-not-exist");
            await Expect(page.Locator("#blazor-error-ui")).ToBeHiddenAsync();
        });

        await page.GetByRole(AriaRole.Link, new() { Name = "返回全部手册" }).ClickAsync();

        await session.CheckAsync("runbook-not-found-back-zh", async () =>
        {
            await Expect(page).ToHaveURLAsync(new Regex("/$"));
            await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("排障手册");
            await Expect(page.GetByTestId("runbook-card")).ToHaveCountAsync(13);
        });
    }
}
