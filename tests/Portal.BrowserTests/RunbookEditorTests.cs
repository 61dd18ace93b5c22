using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Portal.BrowserTests.Infrastructure;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Portal.BrowserTests;

/// <summary>The runbook editor and its history in Chromium: edit, save, history, diff, revert, conflicts.</summary>
[Collection(BrowserCollection.Name)]
public sealed class RunbookEditorTests(IsolatedPortalFixture isolated) : IClassFixture<IsolatedPortalFixture>
{
    // Its own portal and database: the edits it saves must not show in the other tests' catalog.
    private readonly PortalBrowserFixture _fixture = isolated.Portal;

    [Fact]
    public async Task EditStep_Save_ShowsInHistoryWithDiff_AndRevertMakesANewVersion()
    {
        await using var session = await _fixture.OpenSessionAsync(new() { Locale = "en", SignedIn = true });
        var page = session.Page;
        await session.GotoAsync("/runbooks/high-cpu/edit");

        var title = page.GetByTestId("step-editor-0").Locator("input[data-testid=step-title-en]");
        await title.FillAsync("Look at the CPU first (browser)");
        await Expect(page.GetByTestId("draft-status")).ToBeVisibleAsync();
        await page.Locator("input[data-testid=editor-note]").FillAsync("browser edit");
        await session.CheckAsync("editor-en", async () =>
        {
            await Expect(page.GetByTestId("editor-problems")).ToHaveCountAsync(0);
            await Expect(page.GetByTestId("step-editor-0").Locator("input[data-testid=step-title-zh-CN]")).Not.ToBeEmptyAsync();
        });
        await page.GetByTestId("editor-save").ClickAsync();

        await session.CheckAsync("history-after-save-en", async () =>
        {
            await Expect(page).ToHaveURLAsync(new Regex("/runbooks/high-cpu/history$"));
            await Expect(page.GetByTestId("history-note").First).ToHaveTextAsync("browser edit");
            await Expect(page.GetByTestId("diff-caption")).ToHaveTextAsync("Version 1 → version 2");
            await Expect(page.GetByTestId("diff-field")).ToHaveCountAsync(1);
            await Expect(page.GetByTestId("diff-field")).ToContainTextAsync("title.en");
            await Expect(page.GetByTestId("diff-field").Locator("ins").Last).ToContainTextAsync("(browser)");
        });

        await page.GetByTestId("history-revert-1").ClickAsync();

        await session.CheckAsync("history-after-revert-en", async () =>
        {
            await Expect(page.GetByTestId("history-version")).ToHaveCountAsync(3);
            await Expect(page.GetByTestId("history-note").First).ToHaveTextAsync("Revert to version 1");
            await Expect(page.GetByTestId("diff-caption")).ToHaveTextAsync("Version 2 → version 3");
            await Expect(page.GetByTestId("diff-field").Locator("del").Last).ToContainTextAsync("(browser)");
        });
    }

    [Fact]
    public async Task ConcurrentEdit_InASecondBrowser_IsRefusedWithBothChangesShown()
    {
        await using var first = await _fixture.OpenSessionAsync(new() { Locale = "en", SignedIn = true });
        await using var second = await _fixture.OpenSessionAsync(new() { Locale = "zh-CN", SignedIn = true });
        await first.GotoAsync("/runbooks/tls/edit");
        await second.GotoAsync("/runbooks/tls/edit");

        await first.Page.Locator("input[data-testid=editor-title-en]").FillAsync("TLS, first editor");
        await Expect(first.Page.GetByTestId("draft-status")).ToBeVisibleAsync();
        await first.Page.GetByTestId("editor-save").ClickAsync();
        await Expect(first.Page).ToHaveURLAsync(new Regex("/runbooks/tls/history$"));

        await second.Page.Locator("textarea[data-testid=editor-summary-zh-CN]").FillAsync("第二位编辑修改了摘要。");
        await Expect(second.Page.GetByTestId("draft-status")).ToBeVisibleAsync();
        await second.Page.GetByTestId("editor-save").ClickAsync();

        await second.CheckAsync("editor-conflict-zh", async () =>
        {
            await Expect(second.Page.GetByTestId("conflict")).ToContainTextAsync("admin");
            await Expect(second.Page.GetByTestId("conflict-theirs")).ToContainTextAsync("title.en");
            await Expect(second.Page.GetByTestId("conflict-yours")).ToContainTextAsync("summary.zh-CN");
            await Expect(second.Page.GetByTestId("conflict-yours")).Not.ToContainTextAsync("title.en");
            await Expect(second.Page).ToHaveURLAsync(new Regex("/runbooks/tls/edit$"));
        });
    }

    [Fact]
    public async Task Editor_Draft_SurvivesARefresh()
    {
        await using var session = await _fixture.OpenSessionAsync(new() { Locale = "zh-CN", SignedIn = true, Width = 390, Height = 844, IsMobile = true });
        var page = session.Page;
        await session.GotoAsync("/runbooks/redis-connection/edit");
        await page.Locator("input[data-testid=editor-title-zh-CN]").FillAsync("Redis连接问题（草稿）");
        await Expect(page.GetByTestId("draft-status")).ToBeVisibleAsync();

        await session.ReloadAsync();

        await session.CheckAsync("editor-draft-phone-zh", async () =>
        {
            await Expect(page.GetByTestId("draft-offer")).ToBeVisibleAsync();
        });
        await page.GetByTestId("draft-restore").ClickAsync();
        await Expect(page.Locator("input[data-testid=editor-title-zh-CN]")).ToHaveValueAsync("Redis连接问题（草稿）");
    }
}
