using System.Net;
using System.Text.RegularExpressions;
using Portal.Testing;

namespace Portal.IntegrationTests;

/// <summary>Security headers on pages, API answers and errors; HTTPS only where configured.</summary>
public sealed partial class SecurityHeaderTests : IAsyncLifetime
{
    private readonly PortalHost _host = new();

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    [Theory]
    [InlineData("/login")]
    [InlineData("/api/runbooks")]
    [InlineData("/api/no-such-thing")]
    [InlineData("/health/live")]
    public async Task Responses_CarryTheSecurityHeaders(string path)
    {
        using var client = _host.CreateAnonymousClient();
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));

        var csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        foreach (var directive in new[]
                 {
                     "default-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:", "connect-src 'self' ws: wss:",
                     "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'", "object-src 'none'",
                 })
        {
            Assert.Contains(directive, csp, StringComparison.Ordinal);
        }

        Assert.Matches("script-src 'self' 'nonce-[A-Za-z0-9+/=]{24}';", csp);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
    }

    /// <summary>A browser asking for a page that does not exist gets the portal's own page, not a bare 404.</summary>
    [Fact]
    public async Task UnknownPage_SignedIn_Answers404WithTheNotFoundPage()
    {
        using var client = _host.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/no-such-page");
        request.Headers.Accept.ParseAdd("text/html");
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("data-testid=\"not-found\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    /// <summary>The one inline script (Blazor's import map) carries this response's nonce; each response has its own.</summary>
    [Fact]
    public async Task LoginPage_ImportMapCarriesTheResponseNonce()
    {
        using var client = _host.CreateAnonymousClient();
        using var first = await client.GetAsync(new Uri("/login", UriKind.Relative));
        using var second = await client.GetAsync(new Uri("/login", UriKind.Relative));
        var html = await first.Content.ReadAsStringAsync();

        var nonce = Nonce().Match(Assert.Single(first.Headers.GetValues("Content-Security-Policy"))).Groups[1].Value;
        Assert.Contains($"<script type=\"importmap\" nonce=\"{nonce}\">", html, StringComparison.Ordinal);
        Assert.NotEqual(nonce, Nonce().Match(Assert.Single(second.Headers.GetValues("Content-Security-Policy"))).Groups[1].Value);
        Assert.Equal(1, Regex.Count(html, "<script(?![^>]*\\bsrc=)"));
    }

    [Fact]
    public async Task Development_WithRequireHttps_StillServesPlainHttp()
    {
        await using var host = new PortalHost();
        host.Settings["Portal:RequireHttps"] = "true";
        await host.InitializeAsync();
        using var client = host.CreateAnonymousClient();

        using var response = await client.GetAsync(new Uri("/health/live", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task Production_WithRequireHttps_RedirectsToHttps()
    {
        await using var host = new PortalHost();
        host.Settings["environment"] = "Production";
        host.Settings["Portal:RequireHttps"] = "true";
        host.Settings["https_port"] = "8443";
        await host.InitializeAsync();
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = host.BaseAddress };

        using var response = await client.GetAsync(new Uri("/login", UriKind.Relative));

        Assert.Equal(HttpStatusCode.TemporaryRedirect, response.StatusCode);
        Assert.Equal($"https://{host.BaseAddress.Host}:8443/login", response.Headers.Location!.ToString());
    }

    [GeneratedRegex("'nonce-([^']+)'")]
    private static partial Regex Nonce();
}
