using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Portal.BrowserTests.Infrastructure;
using Portal.Testing;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Portal.BrowserTests;

/// <summary>
/// The Redis runbook as a walkthrough against the shared test Redis ("wiz") and a closed loopback port
/// ("closed-redis"): start from the runbook page, run probes with live output, follow the recommendations,
/// resolve, and a second browser context watching the same incident live.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class WalkthroughTests(PortalBrowserFixture fixture) : IAsyncLifetime
{
    private const string Healthy = "wiz";
    private const string Down = "closed-redis";

    public async Task InitializeAsync()
    {
        var (host, port, password) = TestRedis();
        await MudUi.PutTargetAsync(fixture, Healthy, "redis-main",
            new { role = "platform-redis", kind = "redis", host, port, password, allowLoopback = true });
        await MudUi.PutTargetAsync(fixture, Down, "redis-main",
            new { role = "platform-redis", kind = "redis", host = "127.0.0.1", port = ClosedPort(), password, allowLoopback = true });
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("en", false)]
    [InlineData("zh-CN", false)]
    [InlineData("en", true)]
    [InlineData("zh-CN", true)]
    public async Task Walkthrough_HealthyRedis_PingStreamsLivePassesAndTheRecommendationIsFollowed(string locale, bool phone)
    {
        var options = phone ? BrowserSessionOptions.Phone(locale) : new BrowserSessionOptions { Locale = locale };
        await using var session = await fixture.OpenSessionAsync(options);
        var page = session.Page;
        var shot = $"walkthrough-{(phone ? "phone" : "desktop")}-{(locale == "en" ? "en" : "zh")}";

        await StartAsync(session, Healthy);
        var step = page.GetByTestId("walk-step");
        await Expect(step).ToHaveAttributeAsync("data-step", "ping");
        await session.CheckAsync(shot + "-start", async () =>
        {
            await Expect(page.Locator("[data-testid=walk-steps] li[data-step=ping]")).ToHaveAttributeAsync("data-progress", "current");
            await Expect(page.GetByTestId("walk-recommendation-none")).ToBeVisibleAsync();
            await Expect(page.GetByTestId("incident-unbound")).ToHaveCountAsync(0);
            await Expect(page.Locator("[data-testid=walk-event][data-type=started]")).ToHaveCountAsync(1);
        });

        await page.GetByTestId("walk-run").ClickAsync();
        var viewer = page.GetByTestId("run-viewer");
        await session.CheckAsync(shot + "-ran", async () =>
        {
            await Expect(viewer).ToHaveAttributeAsync("data-status", "pass");
            await Expect(page.Locator("[data-testid=run-output] .portal-line").Filter(new() { HasText = "PONG" }).First).ToBeVisibleAsync();
            await Expect(page.GetByTestId("walk-recommendation")).ToHaveAttributeAsync("data-target", "memory");
            await Expect(page.GetByTestId("walk-follow")).ToBeEnabledAsync();
            await Expect(page.Locator("[data-testid=walk-event][data-type=probe_finished]")).ToHaveCountAsync(1);
            await Expect(page.Locator("li[data-step=ping] [data-testid=walk-step-verdict]")).ToBeVisibleAsync();
            if (phone)
            {
                var overflow = await session.MeasureHorizontalOverflowAsync();
                Assert.False(overflow.Scrolls, $"The incident page scrolls sideways on a phone: {overflow}");
            }
        });
        await session.SaveViewportAsync(Screenshots.TestPath(shot + "-ran-viewport"));

        await page.GetByTestId("walk-follow").ClickAsync();
        await session.CheckAsync(shot + "-followed", async () =>
        {
            await Expect(step).ToHaveAttributeAsync("data-step", "memory");
            await Expect(page.Locator("[data-testid=walk-steps] li[data-step=ping]")).ToHaveAttributeAsync("data-progress", "done");
            await Expect(page.Locator("[data-testid=walk-event][data-type=decision]")).ToHaveCountAsync(1);
            await Expect(page.Locator("[data-testid=walk-event][data-type=override]")).ToHaveCountAsync(0);
            await Expect(page.GetByTestId("walk-earlier-runs")).ToBeVisibleAsync();
        });
    }

    [Fact]
    public async Task Walkthrough_ClosedPort_LandsOnTheConnectionSolutionAndResolves_WhileASecondContextWatchesLive()
    {
        await using var driver = await fixture.OpenSessionAsync(new() { Locale = "en" });
        var page = driver.Page;
        await StartAsync(driver, Down);
        var url = page.Url;

        // A colleague opens the same link in another browser; the page must update without reloading.
        await using var watcher = await fixture.OpenSessionAsync(new() { Locale = "zh-CN" });
        var watch = watcher.Page;
        await watcher.GotoAsync(new Uri(url).PathAndQuery);
        await Expect(watch.GetByTestId("walk-step")).ToHaveAttributeAsync("data-step", "ping");
        await watch.EvaluateAsync("() => window.__sameDocument = true");

        await page.GetByTestId("walk-run").ClickAsync();
        await driver.CheckAsync("walkthrough-down-ping-en", async () =>
        {
            await Expect(page.GetByTestId("run-viewer")).ToHaveAttributeAsync("data-status", "fail");
            await Expect(page.GetByTestId("walk-recommendation")).ToHaveAttributeAsync("data-target", "redis-port");
            await Expect(page.GetByTestId("walk-recommendation-rule")).ToContainTextAsync("redis.error == refused");
            await Expect(page.GetByTestId("walk-recommendation-reason")).ToContainTextAsync("refused");
        });
        await watcher.CheckAsync("walkthrough-down-ping-watcher-zh", async () =>
        {
            await Expect(watch.GetByTestId("walk-recommendation")).ToHaveAttributeAsync("data-target", "redis-port");
            await Expect(watch.GetByTestId("walk-recommendation-reason")).ToContainTextAsync("连接被拒绝");
            await Expect(watch.GetByTestId("run-viewer")).ToHaveAttributeAsync("data-status", "fail");
        });

        await page.GetByTestId("walk-follow").ClickAsync();
        await Expect(page.GetByTestId("walk-step")).ToHaveAttributeAsync("data-step", "redis-port");
        await Expect(watch.GetByTestId("walk-step")).ToHaveAttributeAsync("data-step", "redis-port");
        await Expect(watch.Locator("[data-testid=walk-event][data-type=decision]")).ToHaveCountAsync(1);

        await page.GetByTestId("walk-run").ClickAsync();
        await Expect(page.GetByTestId("walk-recommendation")).ToHaveAttributeAsync("data-target", "solution:connection-config");
        await Expect(page.GetByTestId("walk-recommendation-rule")).ToContainTextAsync("tcp.error == refused");
        await page.GetByTestId("walk-follow").ClickAsync();
        await driver.CheckAsync("walkthrough-down-solution-en", async () =>
        {
            await Expect(page.GetByTestId("walk-solution")).ToHaveAttributeAsync("data-solution", "connection-config");
            await Expect(page.GetByTestId("walk-solution-title")).ToHaveTextAsync("Connection settings");
            await Expect(page.GetByTestId("walk-resolve")).ToBeEnabledAsync();
        });

        await page.GetByTestId("walk-note-text").FillAsync("Redis was pointed at the wrong port; fixed in the app settings.");
        await page.GetByTestId("walk-note-add").ClickAsync();
        await Expect(watch.Locator("[data-testid=walk-event][data-type=note]")).ToContainTextAsync("wrong port");

        await page.GetByTestId("walk-resolve").ClickAsync();
        await driver.CheckAsync("walkthrough-down-resolved-en", async () =>
        {
            await Expect(page.GetByTestId("incident-status")).ToHaveAttributeAsync("data-status", "resolved");
            await Expect(page.GetByTestId("incident-closed")).ToBeVisibleAsync();
            await Expect(page.GetByTestId("walk-resolve")).ToHaveCountAsync(0);
            await Expect(page.GetByTestId("walk-note-add")).ToHaveCountAsync(1); // closed incidents still take notes
        });
        await watcher.CheckAsync("walkthrough-down-resolved-watcher-zh", async () =>
        {
            await Expect(watch.GetByTestId("incident-status")).ToHaveAttributeAsync("data-status", "resolved");
            await Expect(watch.Locator("[data-testid=walk-event][data-type=resolved]")).ToHaveCountAsync(1);
            Assert.True(await watch.EvaluateAsync<bool>("() => window.__sameDocument === true"), "The watcher's page was reloaded.");
        });

        var href = await page.GetByTestId("incident-report").GetAttributeAsync("href");
        Assert.NotNull(href);
        var report = await page.APIRequest.GetAsync(href);
        Assert.Equal(200, report.Status);
        Assert.Contains("connection-config", await report.TextAsync(), StringComparison.Ordinal);

        await driver.GotoAsync("/incidents?status=resolved");
        var id = IncidentId().Match(url).Groups[1].Value;
        await driver.CheckAsync("incidents-list-en", async () =>
        {
            await Expect(page.Locator($"[data-testid=incident-row][data-incident='{id}']")).ToContainTextAsync("Redis connection problems");
            await Expect(page.Locator($"[data-testid=incident-row][data-incident='{id}'] [data-testid=incident-status]")).ToHaveAttributeAsync("data-status", "resolved");
        });
    }

    /// <summary>From the runbook page: pick the environment, start, land on the incident.</summary>
    private static async Task StartAsync(BrowserSession session, string environment)
    {
        var page = session.Page;
        await session.GotoAsync("/runbooks/redis-connection");
        await MudUi.SelectAsync(page, "start-environment", environment);
        await page.GetByTestId("start-walkthrough-button").ClickAsync();
        await Expect(page).ToHaveURLAsync(IncidentId());
        await session.WaitForInteractiveAsync();
        await Expect(page.GetByTestId("walk-step")).ToBeVisibleAsync();
    }

    private static (string Host, int Port, string? Password) TestRedis()
    {
        var value = TestEnvironment.Redis ?? throw new InvalidOperationException("PORTAL_TEST_REDIS is not set; scripts/test.sh starts Redis for the tests.");
        var parts = value.Split(',');
        var colon = parts[0].LastIndexOf(':');
        var password = parts.Skip(1).Select(p => p.Trim()).FirstOrDefault(p => p.StartsWith("password=", StringComparison.Ordinal))?["password=".Length..];
        return (parts[0][..colon], int.Parse(parts[0][(colon + 1)..], CultureInfo.InvariantCulture), password);
    }

    /// <summary>A loopback port nobody listens on: bound, noted, released.</summary>
    private static int ClosedPort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    [GeneratedRegex(@"/incidents/([0-9a-f-]{36})$")]
    private static partial Regex IncidentId();
}
