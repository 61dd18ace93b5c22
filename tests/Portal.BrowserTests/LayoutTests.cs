using Microsoft.Playwright;
using Portal.BrowserTests.Infrastructure;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Portal.BrowserTests;

/// <summary>The shell around the pages: small screens and the dark theme.</summary>
[Collection(BrowserCollection.Name)]
public sealed class LayoutTests(PortalBrowserFixture fixture)
{
    /// <summary>True once the page background is dark (relative luminance well below mid-grey).</summary>
    private const string BackgroundIsDark = """
        () => {
          const parts = getComputedStyle(document.body).backgroundColor.match(/[\d.]+/g);
          if (!parts) return false;
          const [r, g, b] = parts.map(Number);
          return 0.2126 * r + 0.7152 * g + 0.0722 * b < 80;
        }
        """;

    [Fact]
    public async Task Phone_CatalogAndRunbook_DoNotScrollSideways()
    {
        await using var session = await fixture.OpenSessionAsync(BrowserSessionOptions.Phone("zh-CN"));
        var page = session.Page;
        await session.GotoAsync("/");

        await session.CheckAsync("catalog-phone-zh", async () =>
        {
            await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("排障手册");
            await Expect(page.GetByTestId("runbook-card")).ToHaveCountAsync(13);
            var overflow = await session.MeasureHorizontalOverflowAsync();
            Assert.False(overflow.Scrolls, $"The catalog scrolls sideways on a phone: {overflow}");
        });

        await session.GotoAsync("/runbooks/service-start");

        await session.CheckAsync("runbook-phone-zh", async () =>
        {
            await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("服务启动问题");
            await Expect(page.GetByTestId("runbook-step")).ToHaveCountAsync(4);
            var overflow = await session.MeasureHorizontalOverflowAsync();
            Assert.False(overflow.Scrolls, $"The runbook page scrolls sideways on a phone: {overflow}");
        });
    }

    [Fact]
    public async Task ThemeToggle_Click_SwitchesToDarkAndSurvivesReload()
    {
        await using var session = await fixture.OpenSessionAsync(new() { Locale = "zh-CN" });
        var page = session.Page;
        await session.GotoAsync("/");
        await Expect(page.GetByTestId("runbook-card")).ToHaveCountAsync(13);
        Assert.False(await page.EvaluateAsync<bool>(BackgroundIsDark), "The portal starts dark although the OS prefers light.");

        await page.GetByRole(AriaRole.Button, new() { Name = "切换到深色模式" }).ClickAsync();

        await session.CheckAsync("catalog-dark", async () =>
        {
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "切换到浅色模式" })).ToBeVisibleAsync();
            await page.WaitForFunctionAsync(BackgroundIsDark);
            await page.Mouse.MoveAsync(0, 0); // no tooltip in the picture
        });

        await session.ReloadAsync();

        await session.CheckAsync("catalog-dark-reloaded", async () =>
        {
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "切换到浅色模式" })).ToBeVisibleAsync();
            await page.WaitForFunctionAsync(BackgroundIsDark);
            await Expect(page.GetByTestId("runbook-card")).ToHaveCountAsync(13);
        });

        await Card(page, "service-start").GetByRole(AriaRole.Link, new() { Name = "服务启动问题" }).ClickAsync();

        await session.CheckAsync("runbook-service-start-dark-zh", async () =>
        {
            await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("服务启动问题");
            await Expect(page.GetByTestId("runbook-step")).ToHaveCountAsync(4);
            Assert.True(await page.EvaluateAsync<bool>(BackgroundIsDark), "The runbook page lost the dark theme.");
        });
    }

    private static ILocator Card(IPage page, string slug) => page.Locator($"[data-testid=runbook-card][data-slug='{slug}']");
}
