using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Portal.Runbooks.Storage;
using Portal.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Portal.IntegrationTests;

public sealed class HostTests(PortalHost host) : IClassFixture<PortalHost>
{
    private readonly HttpClient _client = host.CreateClient();

    [Fact]
    public async Task HealthReady_WithDatabaseUp_IsHealthyAndNamesEachCheck()
    {
        using var response = await _client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        Assert.Equal("Healthy", body.GetProperty("checks").GetProperty("postgres").GetProperty("status").GetString());
        Assert.Equal(TestEnvironment.Redis is not null, body.GetProperty("checks").TryGetProperty("redis", out _));
    }

    [Fact]
    public async Task HealthLive_IsAlwaysOk()
    {
        using var response = await _client.GetAsync(new Uri("/health/live", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Catalog_BrowserAsksForChinese_PageIsInChinese()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.AcceptLanguage.ParseAdd("zh-CN,zh;q=0.9");

        using var response = await _client.SendAsync(request);
        // Prerendered HTML escapes non-ASCII text as character references.
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());

        Assert.Contains("<html lang=\"zh-CN\"", html, StringComparison.Ordinal);
        Assert.Contains("排障手册", html, StringComparison.Ordinal);
        Assert.Contains("服务启动问题", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LanguageSwitch_SetsACookieThatWinsOverTheBrowser()
    {
        var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true };
        using var client = new HttpClient(handler) { BaseAddress = host.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", host.AdminToken);

        using var set = await client.GetAsync(new Uri("/culture/set?culture=en&redirectUri=%2Frunbooks%2Ftls", UriKind.Relative));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/runbooks/tls");
        request.Headers.AcceptLanguage.ParseAdd("zh-CN");
        using var page = await client.SendAsync(request);
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Redirect, set.StatusCode);
        Assert.Equal("/runbooks/tls", set.Headers.Location?.OriginalString);
        Assert.Contains("<html lang=\"en\"", html, StringComparison.Ordinal);
        Assert.Contains("SSL/TLS problems", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("//evil.example.com/")]
    [InlineData("https://evil.example.com/")]
    [InlineData("/\\evil.example.com")]
    public async Task LanguageSwitch_RedirectOffSite_GoesHomeInstead(string redirect)
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = host.BaseAddress };

        using var response = await client.GetAsync(new Uri($"/culture/set?culture=zh&redirectUri={Uri.EscapeDataString(redirect)}", UriKind.Relative));

        Assert.Equal("/", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task StaticAssets_StylesAndMudBlazorAreServed()
    {
        foreach (var path in new[] { "/css/portal.css", "/_content/MudBlazor/MudBlazor.min.css", "/_framework/blazor.web.js" })
        {
            using var response = await _client.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True((await response.Content.ReadAsByteArrayAsync()).Length > 100, $"{path} is empty");
        }
    }

    [Fact]
    public async Task Restart_OnTheSameDatabase_MigratesAndSeedsNothingNew()
    {
        await using var second = new PortalHost();
        second.Settings["ConnectionStrings:Portal"] = host.Database.ConnectionString;
        await second.InitializeAsync();

        var store = second.Services.GetRequiredService<RunbookStore>();
        var runbooks = await store.ListCurrentAsync();

        Assert.True(second.Services.GetRequiredService<DatabaseState>().IsReady);
        Assert.Equal(13, runbooks.Count);
        Assert.All(runbooks, r => Assert.Equal(1, r.Version));
    }
}

/// <summary>The portal's own PostgreSQL is down: the portal still starts and says what is wrong.</summary>
public sealed class DatabaseDownTests : IAsyncLifetime
{
    private readonly PortalHost _host = new();

    public async Task InitializeAsync()
    {
        _host.Settings["ConnectionStrings:Portal"] = $"Host=127.0.0.1;Port={ClosedPort()};Database=portal;Username=portal;Password=x;Timeout=2";
        await _host.InitializeAsync();
    }

    public Task DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task Ready_IsUnhealthy_LiveStaysOk()
    {
        using var client = _host.CreateClient();

        using var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        using var live = await client.GetAsync(new Uri("/health/live", UriKind.Relative));
        var body = await ready.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("PostgreSQL does not answer", body.GetProperty("checks").GetProperty("postgres").GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task Api_WithoutAValidatableToken_Answers401()
    {
        // Tokens are checked against the database, so with it down no API call can be authorised.
        using var client = _host.CreateClient("ptl_some-token");

        using var response = await client.GetAsync(new Uri("/api/runbooks?lang=en", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task LoginPage_StillRenders()
    {
        using var client = _host.CreateAnonymousClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.AcceptLanguage.ParseAdd("en");

        using var response = await client.SendAsync(request);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("/login", response.RequestMessage!.RequestUri!.AbsolutePath, StringComparison.Ordinal);
        Assert.Contains("Sign in", html, StringComparison.Ordinal);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
