using Microsoft.Playwright;
using Portal.BrowserTests.Infrastructure;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Portal.BrowserTests;

[Collection(BrowserCollection.Name)]
public sealed class LoginTests(PortalBrowserFixture fixture)
{
    [Fact]
    public async Task Login_WrongPasswordThenRight_SaysWhyThenOpensThePageAskedFor()
    {
        await using var session = await fixture.OpenSessionAsync(new BrowserSessionOptions { Locale = "zh-CN", SignedIn = false });
        var page = session.Page;

        await page.GotoAsync("runbooks/tls");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login"));
        await page.Locator("#username").FillAsync("admin");
        await page.Locator("#password").FillAsync("not-the-password");
        await page.Locator("form[data-testid=login-form] button[type=submit]").ClickAsync();
        await session.CheckAsync("login-failed-zh", async () =>
            await Expect(page.GetByTestId("login-error")).ToContainTextAsync("用户名或密码错误"));

        await page.Locator("#username").FillAsync("admin");
        await page.Locator("#password").FillAsync(fixture.AdminPassword);
        await page.Locator("form[data-testid=login-form] button[type=submit]").ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/runbooks/tls$"));
        await session.WaitForInteractiveAsync();
        await session.CheckAsync("login-then-tls-zh", async () =>
            await Expect(page.Locator("h1")).ToHaveTextAsync("SSL/TLS问题"));
    }

    [Fact]
    public async Task Login_OnAPhoneInEnglish_IsReadable()
    {
        await using var session = await fixture.OpenSessionAsync(BrowserSessionOptions.Phone("en-US") with { SignedIn = false });

        await session.Page.GotoAsync("login");

        await session.CheckAsync("login-phone-en", async () =>
        {
            await Expect(session.Page.Locator("h1")).ToHaveTextAsync("Portal");
            await Expect(session.Page.GetByLabel("Password")).ToBeVisibleAsync();
        });
    }

    [Fact]
    public async Task AuditPage_ShowsTheSignInJustMade()
    {
        await using var session = await fixture.OpenSessionAsync(new BrowserSessionOptions { Locale = "en-US" });

        await session.GotoAsync("/audit");

        await session.CheckAsync("audit-en", async () =>
        {
            await Expect(session.Page.Locator("h1")).ToHaveTextAsync("Audit log");
            await Expect(session.Page.GetByTestId("audit-table")).ToContainTextAsync("sign-in");
        });
    }
}
