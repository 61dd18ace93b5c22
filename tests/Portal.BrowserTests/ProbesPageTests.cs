using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Portal.BrowserTests.Infrastructure;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Portal.BrowserTests;

/// <summary>
/// /probes against the real runner: a TCP listener the test opens on loopback is the target
/// (tcp.connect), a port nobody listens on is the failing one.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class ProbesPageTests(PortalBrowserFixture fixture) : IAsyncLifetime
{
    private const string Environment = "ui-probes";
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private Task _accepting = Task.CompletedTask;

    public async Task InitializeAsync()
    {
        _listener.Start();
        _accepting = AcceptAsync();
        var open = ((IPEndPoint)_listener.LocalEndpoint).Port;
        await MudUi.PutTargetAsync(fixture, Environment, "listener",
            new { role = "listener", kind = "host", host = "127.0.0.1", port = open, allowLoopback = true });
        await MudUi.PutTargetAsync(fixture, Environment, "closed",
            new { role = "closed", kind = "host", host = "127.0.0.1", port = ClosedPort(), allowLoopback = true });
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }

    [Theory]
    [InlineData("en", false)]
    [InlineData("zh-CN", false)]
    [InlineData("en", true)]
    [InlineData("zh-CN", true)]
    public async Task ProbesPage_TcpConnectToAListener_ShowsLiveOutputAndPassThenReopensAfterReload(string locale, bool phone)
    {
        var options = phone ? BrowserSessionOptions.Phone(locale) : new BrowserSessionOptions { Locale = locale };
        await using var session = await fixture.OpenSessionAsync(options);
        var page = session.Page;
        var shot = $"probes-pass-{(phone ? "phone" : "desktop")}-{Short(locale)}";
        await session.GotoAsync("/probes");

        await ChooseAsync(page, "listener");
        await page.GetByTestId("param-timeout_ms").FillAsync("2000");
        await page.GetByTestId("probes-run").ClickAsync();

        var viewer = page.GetByTestId("run-viewer");
        await session.CheckAsync(shot, async () =>
        {
            await Expect(page).ToHaveURLAsync(RunQuery());
            await Expect(viewer).ToHaveAttributeAsync("data-status", "pass");
            await Expect(page.GetByTestId("run-status")).ToHaveAttributeAsync("data-status", "pass");
            await Expect(page.Locator("[data-testid=run-output] .portal-line").Filter(new() { HasText = "connected in" })).ToHaveCountAsync(1);
            await Expect(page.GetByTestId("run-findings")).ToContainTextAsync("tcp.connected");
            await Expect(page.GetByTestId("run-next")).ToBeVisibleAsync();
            await Expect(page.GetByTestId("probes-not-started")).ToHaveCountAsync(0);
            if (phone)
            {
                var overflow = await session.MeasureHorizontalOverflowAsync();
                Assert.False(overflow.Scrolls, $"The probes page scrolls sideways on a phone: {overflow}");
            }
        });
        await session.SaveViewportAsync(Screenshots.TestPath(shot + "-viewport"));
        if (locale == "en" && !phone)
        {
            await session.SaveViewportAsync(Screenshots.DocsPath("probe-run"));
        }

        var runId = await viewer.GetAttributeAsync("data-run");
        await session.ReloadAsync();

        await session.CheckAsync(shot + "-reloaded", async () =>
        {
            await Expect(viewer).ToHaveAttributeAsync("data-run", runId!);
            await Expect(viewer).ToHaveAttributeAsync("data-status", "pass");
            await Expect(page.Locator("[data-testid=run-output] .portal-line").Filter(new() { HasText = "connected in" })).ToHaveCountAsync(1);
        });
    }

    [Fact]
    public async Task ProbesPage_TcpConnectToAClosedPort_FailsWithTheClassifiedFinding()
    {
        await using var session = await fixture.OpenSessionAsync(new() { Locale = "en" });
        var page = session.Page;
        await session.GotoAsync("/probes");

        await ChooseAsync(page, "closed");
        await page.GetByTestId("probes-run").ClickAsync();

        await session.CheckAsync("probes-fail-desktop-en", async () =>
        {
            await Expect(page.GetByTestId("run-status")).ToHaveAttributeAsync("data-status", "fail");
            await Expect(page.GetByTestId("run-status")).ToContainTextAsync("Failed");
            var error = page.Locator("[data-testid=run-findings] tr").Filter(new() { HasText = "tcp.error" });
            await Expect(error).ToContainTextAsync("refused");
            await Expect(page.GetByTestId("run-summary")).ToContainTextAsync("refused");
            await Expect(page.GetByTestId("run-next")).ToContainTextAsync("The check failed");
        });
    }

    [Fact]
    public async Task ProbesPage_PortOutOfRange_ShowsTheFieldErrorAndStartsNothing()
    {
        await using var session = await fixture.OpenSessionAsync(new() { Locale = "en" });
        var page = session.Page;
        await session.GotoAsync("/probes");

        await ChooseAsync(page, "listener");
        // An <input type=number> takes no letters, so "abc" cannot be typed; out of range is the bad value a person can enter.
        await page.GetByTestId("param-port").FillAsync("70000");
        await page.GetByTestId("probes-run").ClickAsync();

        await session.CheckAsync("probes-bad-parameter-en", async () =>
        {
            await Expect(MudUi.Field(page, "param-port")).ToHaveClassAsync(new Regex("mud-input-error"));
            await Expect(MudUi.Field(page, "param-port")).ToContainTextAsync("65535");
            await Expect(page.GetByTestId("probes-not-started")).ToContainTextAsync("The probe was not started");
            await Expect(page.GetByTestId("run-viewer")).ToHaveCountAsync(0);
            Assert.DoesNotContain("run=", page.Url, StringComparison.Ordinal);
        });
    }

    /// <summary>Picks the test environment, tcp.connect and <paramref name="target"/>.</summary>
    private static async Task ChooseAsync(IPage page, string target)
    {
        await MudUi.SelectAsync(page, "probes-environment", Environment);
        await MudUi.SelectAsync(page, "probes-kind", "tcp.connect");
        await MudUi.SelectAsync(page, "probes-target", target);
        await Expect(page.GetByTestId("param-timeout_ms")).ToBeVisibleAsync();
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped at the end of the test.
        }
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

    private static string Short(string locale) => locale == "en" ? "en" : "zh";

    [GeneratedRegex(@"/probes\?run=[0-9a-f-]{36}$")]
    private static partial Regex RunQuery();
}
