using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Portal.BrowserTests.Infrastructure;
using Portal.Web.Auth;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Portal.BrowserTests;

/// <summary>
/// The Redis runbook against the test's own redis-server, stopped half-way: the driver (en, desktop) walks to the
/// solution while a colleague (zh-CN, phone) watches live, sees who is viewing, asks to drive, is handed the
/// walkthrough and resolves it; then the printable report.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class SharedWalkthroughTests(PortalBrowserFixture fixture)
{
    [Fact]
    public async Task PrivateRedisStoppedMidWalkthrough_LandsOnTheConnectionSolution_WatchedLive_HandedOver_ReportPrinted()
    {
        await using var redis = await PrivateRedis.StartAsync();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var env = "own-redis-" + suffix;
        await MudUi.PutTargetAsync(fixture, env, "redis-main",
            new { role = "platform-redis", kind = "redis", host = "127.0.0.1", port = redis.Port, allowLoopback = true });
        var colleague = "oncall-" + suffix;
        var colleaguePassword = await fixture.CreateUserAsync(colleague, PortalRoles.Responder);

        await using var driver = await fixture.OpenSessionAsync(new() { Locale = "en" });
        var page = driver.Page;
        await driver.GotoAsync("/runbooks/redis-connection");
        await MudUi.SelectAsync(page, "start-environment", env);
        await page.GetByTestId("start-walkthrough-button").ClickAsync();
        await Expect(page).ToHaveURLAsync(IncidentUrl());
        await driver.WaitForInteractiveAsync();
        var path = new Uri(page.Url).AbsolutePath;

        await using var watcher = await fixture.OpenSessionAsync(BrowserSessionOptions.Phone("zh-CN") with { SignedIn = false });
        var watch = watcher.Page;
        await watcher.SignInAsync(colleague, colleaguePassword);
        await watcher.GotoAsync(path);
        await watch.EvaluateAsync("() => window.__sameDocument = true");

        // Both see both; only the driver has the step's buttons.
        await driver.CheckAsync("shared-en-two-viewers", async () =>
        {
            await Expect(page.GetByTestId("incident-viewer")).ToHaveCountAsync(2);
            await Expect(page.Locator($"[data-testid=incident-viewer][data-user='{colleague}']")).ToBeVisibleAsync();
            await Expect(page.Locator("[data-testid=incident-viewer][data-user=admin]")).ToHaveAttributeAsync("data-driving", "true");
            await Expect(page.GetByTestId("walk-run")).ToBeEnabledAsync();
        });
        await watcher.CheckAsync("shared-zh-phone-watching", async () =>
        {
            await Expect(watch.GetByTestId("incident-viewer")).ToHaveCountAsync(2);
            await Expect(watch.GetByTestId("incident-driver")).ToContainTextAsync("admin 正在主导");
            await Expect(watch.GetByTestId("walk-run")).ToHaveCountAsync(0);
            await Expect(watch.GetByTestId("incident-request-control")).ToBeVisibleAsync();
            var overflow = await watcher.MeasureHorizontalOverflowAsync();
            Assert.False(overflow.Scrolls, $"The incident page scrolls sideways on a phone: {overflow}");
        });

        // Healthy: PONG streams in on both screens, on to memory.
        await page.GetByTestId("walk-run").ClickAsync();
        await Expect(page.GetByTestId("run-viewer")).ToHaveAttributeAsync("data-status", "pass");
        await Expect(watch.GetByTestId("run-viewer")).ToHaveAttributeAsync("data-status", "pass");
        await Expect(watch.Locator("[data-testid=run-output] .portal-line").Filter(new() { HasText = "PONG" }).First).ToBeVisibleAsync();
        await Expect(watch.GetByTestId("run-stop")).ToHaveCountAsync(0);
        await page.GetByTestId("walk-follow").ClickAsync();
        await Expect(watch.GetByTestId("walk-step")).ToHaveAttributeAsync("data-step", "memory");

        // Redis goes away mid-walkthrough.
        await redis.StopAsync();
        await page.GetByTestId("walk-run").ClickAsync();
        await driver.CheckAsync("shared-en-redis-stopped", async () =>
        {
            await Expect(page.GetByTestId("run-viewer")).ToHaveAttributeAsync("data-status", "fail");
            await Expect(page.GetByTestId("walk-recommendation")).ToHaveAttributeAsync("data-target", "redis-port");
            await Expect(page.GetByTestId("walk-recommendation-rule")).ToContainTextAsync("redis.error == refused");
        });

        // A new circuit (reload) comes back to the same state, the run's output replayed.
        await driver.ReloadAsync();
        await driver.CheckAsync("shared-en-reloaded", async () =>
        {
            await Expect(page.GetByTestId("walk-step")).ToHaveAttributeAsync("data-step", "memory");
            await Expect(page.GetByTestId("walk-recommendation")).ToHaveAttributeAsync("data-target", "redis-port");
            await Expect(page.GetByTestId("run-viewer")).ToHaveAttributeAsync("data-status", "fail");
            await Expect(page.Locator("[data-testid=run-output] .portal-line").Filter(new() { HasText = "refused" }).First).ToBeVisibleAsync();
            await Expect(page.GetByTestId("incident-viewer")).ToHaveCountAsync(2);
        });
        await page.GetByTestId("walk-follow").ClickAsync();
        await Expect(page.GetByTestId("walk-step")).ToHaveAttributeAsync("data-step", "redis-port");
        await page.GetByTestId("walk-run").ClickAsync();
        await Expect(page.GetByTestId("walk-recommendation")).ToHaveAttributeAsync("data-target", "solution:connection-config");
        await Expect(page.GetByTestId("walk-recommendation-rule")).ToContainTextAsync("tcp.error == refused");
        await page.GetByTestId("walk-follow").ClickAsync();
        await Expect(page.GetByTestId("walk-solution")).ToHaveAttributeAsync("data-solution", "connection-config");
        await watcher.CheckAsync("shared-zh-phone-solution", async () =>
        {
            await Expect(watch.GetByTestId("walk-solution")).ToHaveAttributeAsync("data-solution", "connection-config");
            await Expect(watch.GetByTestId("walk-solution-title")).ToHaveTextAsync("连接配置");
            await Expect(watch.GetByTestId("walk-resolve")).ToHaveCountAsync(0);
        });

        // The colleague asks; the driver hands over; the colleague resolves.
        await watch.GetByTestId("incident-request-control").ClickAsync();
        await Expect(watch.GetByTestId("incident-driver-requested")).ToBeVisibleAsync();
        await driver.CheckAsync("shared-en-request", async () =>
        {
            await Expect(page.Locator($"[data-testid=incident-driver-request][data-user='{colleague}']")).ToContainTextAsync($"{colleague} asks to drive");
        });
        await page.Locator($"button[data-testid=incident-handover-to][data-user='{colleague}']").ClickAsync();
        await Expect(page.GetByTestId("incident-driver")).ToContainTextAsync($"{colleague} is driving");
        await Expect(page.GetByTestId("walk-resolve")).ToHaveCountAsync(0);
        await watcher.CheckAsync("shared-zh-phone-driving", async () =>
        {
            await Expect(watch.GetByTestId("incident-driver")).ToContainTextAsync("由你主导");
            await Expect(watch.Locator($"[data-testid=incident-viewer][data-user='{colleague}']")).ToHaveAttributeAsync("data-driving", "true");
            await Expect(watch.Locator("[data-testid=walk-event][data-type=driver_changed]")).ToHaveCountAsync(1);
            await Expect(watch.GetByTestId("walk-resolve")).ToBeEnabledAsync();
        });
        await watch.GetByTestId("walk-resolve").ClickAsync();
        await Expect(page.GetByTestId("incident-status")).ToHaveAttributeAsync("data-status", "resolved");
        Assert.True(await watch.EvaluateAsync<bool>("() => window.__sameDocument === true"), "The watcher's page was reloaded.");

        // The colleague leaves: the driver's page says so without a reload.
        await watcher.Context.CloseAsync();
        await Expect(page.GetByTestId("incident-viewer")).ToHaveCountAsync(1);

        // The report: the Markdown export and the printable page (no app chrome), secrets masked either way.
        var id = IncidentUrl().Match(page.Url).Groups[1].Value;
        using var api = fixture.CreateApiClient();
        var markdown = await api.GetStringAsync(new Uri($"/api/incidents/{id}/report?lang=en", UriKind.Relative));
        Assert.Contains("solution 'connection-config'", markdown, StringComparison.Ordinal);
        Assert.Contains($"handed control to {colleague}", markdown, StringComparison.Ordinal);
        Assert.Contains("`redis.error` | refused", markdown, StringComparison.Ordinal);
        // The runbook's advice is not a credential: only what people and probes wrote is masked.
        Assert.Contains("confirm the password and database number", markdown, StringComparison.Ordinal);

        var reportPage = await driver.Context.RunAndWaitForPageAsync(() => page.GetByTestId("incident-print").ClickAsync());
        await reportPage.WaitForLoadStateAsync(LoadState.Load);
        await Expect(reportPage.GetByTestId("incident-report-page")).ToContainTextAsync("Solution: Connection settings");
        await Expect(reportPage.GetByTestId("incident-report-page")).ToContainTextAsync($"handed control to {colleague}");
        await Expect(reportPage.Locator(".mud-appbar")).ToHaveCountAsync(0);
        await Expect(reportPage.GetByTestId("report-print")).ToBeVisibleAsync();
        await reportPage.ScreenshotAsync(new() { Path = Screenshots.TestPath("report-en"), FullPage = true });
        await reportPage.EmulateMediaAsync(new() { Media = Media.Print });
        await Expect(reportPage.GetByTestId("report-print")).ToBeHiddenAsync();
        await reportPage.ScreenshotAsync(new() { Path = Screenshots.TestPath("report-en-print"), FullPage = true });

        await using var phone = await fixture.OpenSessionAsync(BrowserSessionOptions.Phone("zh-CN"));
        await phone.Page.GotoAsync($"incidents/{id}/report");
        await Expect(phone.Page.GetByTestId("incident-report-page")).ToContainTextAsync("连接配置");
        var phoneOverflow = await phone.MeasureHorizontalOverflowAsync();
        Assert.False(phoneOverflow.Scrolls, $"The report scrolls sideways on a phone: {phoneOverflow}");
        await phone.Page.ScreenshotAsync(new() { Path = Screenshots.TestPath("report-zh-phone"), FullPage = true });
    }

    [GeneratedRegex(@"/incidents/([0-9a-f-]{36})$")]
    private static partial Regex IncidentUrl();
}
