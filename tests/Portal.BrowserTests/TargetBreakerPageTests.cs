using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Portal.BrowserTests.Infrastructure;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Portal.BrowserTests;

/// <summary>/targets shows each target's circuit breaker: closed, or open since when with the last error; /metrics counts the page's circuit.</summary>
[Collection(BrowserCollection.Name)]
public sealed class TargetBreakerPageTests(PortalBrowserFixture fixture) : IAsyncLifetime
{
    private const string Environment = "ui-breakers";

    public async Task InitializeAsync()
    {
        await MudUi.PutTargetAsync(fixture, Environment, "api-up", new { role = "api-up", kind = "http", baseUrl = "http://127.0.0.1:9/", allowLoopback = true });
        await MudUi.PutTargetAsync(fixture, Environment, "api-down", new { role = "api-down", kind = "http", baseUrl = $"http://127.0.0.1:{FreePort()}", allowLoopback = true });
        // Three refused connections open api-down's breaker (three runs in a row that could not reach it).
        using var client = fixture.CreateApiClient();
        for (var i = 0; i < 3; i++)
        {
            await RunAsync(client, "api-down");
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("en", false)]
    [InlineData("zh-CN", false)]
    [InlineData("en", true)]
    [InlineData("zh-CN", true)]
    public async Task OpenBreaker_ShowsOpenSinceAndTheLastError_ClosedOneSaysClosed(string locale, bool phone)
    {
        var options = phone ? BrowserSessionOptions.Phone(locale) : new BrowserSessionOptions { Locale = locale };
        await using var session = await fixture.OpenSessionAsync(options);
        var page = session.Page;
        await session.GotoAsync($"/targets?env={Environment}");
        var en = locale == "en";

        await session.CheckAsync($"targets-breaker-{(phone ? "phone" : "desktop")}-{(en ? "en" : "zh")}", async () =>
        {
            var down = page.GetByTestId("breaker-api-down");
            await Expect(down).ToHaveAttributeAsync("data-state", "open");
            await Expect(down).ToContainTextAsync(new Regex(en ? @"open since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC" : @"自 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC 起已熔断"));
            await Expect(page.GetByTestId("breaker-error-api-down")).ToContainTextAsync("http.error=refused");
            await Expect(page.GetByTestId("breaker-api-up")).ToHaveAttributeAsync("data-state", "closed");
            await Expect(page.GetByTestId("breaker-api-up")).ToContainTextAsync(en ? "closed" : "正常（闭合）");
        });
    }

    private static async Task RunAsync(HttpClient client, string target)
    {
        using var start = await client.PostAsJsonAsync("/api/runs", new { kind = "http.check", environment = Environment, target, parameters = new { path = "/" } });
        start.EnsureSuccessStatusCode();
        var runId = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetGuid();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while ((await client.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}", deadline.Token)).GetProperty("status").GetString() == "running")
        {
            await Task.Delay(50, deadline.Token);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
