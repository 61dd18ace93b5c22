using Microsoft.Playwright;
using Portal.BrowserTests.Infrastructure;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Portal.BrowserTests;

/// <summary>What the browser itself enforces: the Content-Security-Policy and the cap on open tabs.</summary>
[Collection(BrowserCollection.Name)]
public sealed class SecurityBrowserTests(PortalBrowserFixture fixture)
{
    [Fact]
    public async Task EveryPage_RunsUnderTheContentSecurityPolicy_WithoutASingleViolation()
    {
        await using var session = await fixture.OpenSessionAsync(new BrowserSessionOptions { Locale = "en-US" });

        foreach (var path in new[] { "/", "/runbooks/redis-connection", "/probes", "/targets", "/incidents", "/audit", "/users" })
        {
            await session.GotoAsync(path);
            // CheckAsync fails on any browser error, and every CSP violation is reported as one.
            await session.CheckAsync("csp" + path.Replace('/', '-').TrimEnd('-'), async () =>
                await Expect(session.Page.Locator("h1").First).ToBeVisibleAsync());
        }

        // The theme toggle runs the portal's own JavaScript module and writes a cookie.
        await session.Page.GetByTestId("theme-toggle").ClickAsync();
        await session.CheckAsync("csp-dark", async () =>
            await Expect(session.Page.Locator("h1").First).ToBeVisibleAsync());

        // Static pages (rendered on the server only) run under the same policy. The browser logs the
        // page's own 404 status as an error; that is the only thing it may report.
        await session.Page.GotoAsync("no-such-page");
        await Expect(session.Page.GetByTestId("not-found")).ToBeVisibleAsync();
        await Screenshot(session.Page, "csp-not-found-en");
        Assert.All(session.BrowserErrors, e => Assert.StartsWith("console.error: Failed to load resource: the server responded with a status of 404", e, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnInjectedInlineScript_IsBlockedAndReported_SoTheViolationCheckCanFail()
    {
        await using var session = await fixture.OpenSessionAsync(new BrowserSessionOptions { Locale = "en-US" });
        await session.GotoAsync("/");

        // What an attacker's markup would try: a script without the page's nonce.
        await session.Page.EvaluateAsync("""
            () => { const s = document.createElement('script'); s.textContent = 'window.__injected = true'; document.body.appendChild(s); }
            """);

        await Expect(session.Page.Locator("h1").First).ToBeVisibleAsync();
        Assert.Null(await session.Page.EvaluateAsync<bool?>("() => window.__injected ?? null"));
        await WaitForAsync(() => session.BrowserErrors.Any(e => e.Contains("CSP violation: script-src", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task OneTabOverTheLimit_SaysWhyAndStaysOffline_UntilAnotherTabCloses()
    {
        const string user = "many-tabs";
        var password = await fixture.CreateUserAsync(user, "viewer");
        await using var session = await fixture.OpenSessionAsync(new BrowserSessionOptions { Locale = "en-US", SignedIn = false });
        await session.SignInAsync(user, password);
        await session.WaitForInteractiveAsync();

        // The session's own page is the first tab.
        var tabs = new List<IPage> { session.Page };
        for (var i = 1; i < PortalBrowserFixture.CircuitsPerUser; i++)
        {
            var tab = await session.Context.NewPageAsync();
            await tab.GotoAsync("runbooks/tls");
            await tab.WaitForFunctionAsync(InteractiveThemeToggle);
            tabs.Add(tab);
        }

        var extra = await session.Context.NewPageAsync();
        await extra.GotoAsync("runbooks/tls");
        await Expect(extra.GetByTestId("too-many-tabs")).ToContainTextAsync($"You already have {PortalBrowserFixture.CircuitsPerUser} portal tabs open");
        await Screenshot(extra, "too-many-tabs-en");

        await tabs[^1].CloseAsync();
        // The closed tab's circuit leaves when its socket closes; then a reload gets a circuit.
        await WaitForAsync(async () =>
        {
            await extra.ReloadAsync();
            return await extra.GetByTestId("too-many-tabs").CountAsync() == 0;
        });
        await extra.WaitForFunctionAsync(InteractiveThemeToggle);
    }

    private const string InteractiveThemeToggle = """
        () => { const e = document.querySelector('[data-testid=theme-toggle]'); return !!e && Object.keys(e).some(k => k.startsWith('_blazorEvents_')); }
        """;

    private static async Task Screenshot(IPage page, string name)
    {
        var path = Screenshots.TestPath(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path });
    }

    private static Task WaitForAsync(Func<bool> condition) => WaitForAsync(() => Task.FromResult(condition()));

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 15 s");
            await Task.Delay(100);
        }
    }
}
