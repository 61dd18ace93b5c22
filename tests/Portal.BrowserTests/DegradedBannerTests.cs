using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Npgsql;
using Portal.BrowserTests.Infrastructure;
using Portal.Testing;
using Portal.Testing.Servers;
using Portal.Web.Resilience;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Portal.BrowserTests;

/// <summary>
/// The portal's own PostgreSQL (a private server) stops while an engineer has a walkthrough open: the
/// banner says so in their language, the page keeps working, a note typed meanwhile is stored when it is back.
/// Own host and browser: the collection's host sits on the shared server, which must never be stopped.
/// </summary>
public sealed class DegradedBannerTests : IAsyncLifetime
{
    private readonly PrivatePostgres _pg = new();
    private TestDatabase _db = null!;
    private PortalHost _host = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    public async Task InitializeAsync()
    {
        Assertions.SetDefaultExpectTimeout(15_000);
        await _pg.InitializeAsync();
        _db = TestDatabase.On(_pg.ConnectionString());
        await _db.InitializeAsync();
        _host = PortalHost.OnDatabase(_db);
        await _host.InitializeAsync();
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = TestEnvironment.Chromium, Headless = true, Args = ["--no-sandbox", "--disable-gpu", "--no-first-run"],
        });
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _host.DisposeAsync();
        if (!_pg.IsRunning)
        {
            await _pg.StartAsync();
        }

        await _db.DisposeAsync();
        await _pg.DisposeAsync();
    }

    [Fact]
    public async Task DatabaseStops_BannerInBothLanguages_NoteTypedMeanwhileIsStoredAfterwards()
    {
        using var api = _host.CreateClient();
        using var started = await api.PostAsJsonAsync("/api/incidents", new { runbook = "redis-connection", environment = "local" });
        var incident = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("incidentId").GetGuid();
        var options = _host.Services.GetRequiredService<ResilienceOptions>();
        await WaitAsync(() => File.Exists(options.SnapshotPath), "the runbook snapshot");

        await using var zh = await OpenAsync("zh-CN", 1280, 900);
        await using var en = await OpenAsync("en", 390, 844, phone: true);
        await zh.GotoAsync($"/incidents/{incident}");
        await en.GotoAsync($"/incidents/{incident}");
        await Expect(zh.Page.GetByTestId("degraded-database")).ToHaveCountAsync(0);

        await _pg.StopAsync();

        await zh.CheckAsync("degraded-database-zh-desktop", async () =>
        {
            await Expect(zh.Page.GetByTestId("degraded-database")).ToContainTextAsync("门户自身的数据库无法连接");
            await zh.Page.GetByTestId("walk-note-text").FillAsync("数据库宕机期间记下的备注");
            await zh.Page.GetByTestId("walk-note-add").ClickAsync();
            await Expect(zh.Page.Locator("[data-testid=walk-event][data-type=note]")).ToContainTextAsync("数据库宕机期间记下的备注");
            await Expect(zh.Page.GetByTestId("degraded-database")).ToContainTextAsync("待写入 1 条");
            await zh.Page.EvaluateAsync("window.scrollTo(0, 0)"); // the picture shows the banner, not the fixed app bar over it
        });
        await en.CheckAsync("degraded-database-en-phone", async () =>
            await Expect(en.Page.GetByTestId("degraded-database")).ToContainTextAsync("The portal's database is unreachable"));

        await _pg.StartAsync();

        await Expect(zh.Page.GetByTestId("degraded-database")).ToHaveCountAsync(0);
        await Expect(en.Page.GetByTestId("degraded-database")).ToHaveCountAsync(0);
        await using var db = new NpgsqlConnection(_db.ConnectionString + ";Pooling=false");
        var notes = await db.QueryAsync<string>(
            "SELECT payload ->> 'text' FROM incident_events WHERE incident_id = @incident AND type = 'note'", new { incident });
        Assert.Equal(["数据库宕机期间记下的备注"], notes);
    }

    private async Task<BrowserSession> OpenAsync(string locale, int width, int height, bool phone = false)
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = _host.BaseAddress.ToString(), Locale = locale, ViewportSize = new ViewportSize { Width = width, Height = height },
            IsMobile = phone, HasTouch = phone, DeviceScaleFactor = phone ? 2 : 1, ColorScheme = ColorScheme.Light,
        });
        context.SetDefaultTimeout(20_000);
        var session = new BrowserSession(context, await context.NewPageAsync());
        await session.SignInAsync("admin", _host.AdminPassword);
        return session;
    }

    private static async Task WaitAsync(Func<bool> condition, string what)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(15);
        while (!condition())
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, $"{what} did not appear");
            await Task.Delay(50);
        }
    }
}
