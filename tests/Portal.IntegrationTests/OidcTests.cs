using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Portal.Testing;
using Portal.Web.Auth;

namespace Portal.IntegrationTests;

/// <summary>
/// Sign-in through a real OpenID Connect provider (code flow with PKCE, following every redirect
/// as a browser would): the provider says who someone is, the portal's user table what they may do.
/// </summary>
public sealed class OidcTests(OidcTests.Fixture fixture) : IClassFixture<OidcTests.Fixture>
{
    private readonly OidcProvider _provider = fixture.Provider;
    private readonly PortalHost _host = fixture.Host;

    /// <summary>One provider and one portal for the class; each test signs in a different person.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        public OidcProvider Provider { get; } = new();

        public PortalHost Host { get; } = new();

        public async Task InitializeAsync()
        {
            await Provider.StartAsync();
            Host.Settings["Portal:Oidc:Authority"] = Provider.Authority.ToString();
            Host.Settings["Portal:Oidc:ClientId"] = OidcProvider.ClientId;
            Host.Settings["Portal:Oidc:ClientSecret"] = OidcProvider.ClientSecret;
            Host.Settings["Portal:Oidc:DisplayName"] = "Test IdP";
            Host.Settings["Portal:Oidc:RequireHttpsMetadata"] = "false";
            await Host.InitializeAsync();
        }

        public async Task DisposeAsync()
        {
            await Host.DisposeAsync();
            await Provider.DisposeAsync();
        }
    }

    [Fact]
    public async Task FirstSignIn_CreatesTheUserWithTheClaimedRole_AndTheCookieOpensTheApi()
    {
        _provider.NextUser = new() { ["sub"] = "u-1", ["preferred_username"] = "Mei.Lin", ["name"] = "林梅", ["roles"] = new[] { "responder", "unknown-role" } };

        var (browser, landing) = await SignInAsync("/incidents");

        Assert.Equal("/incidents", landing);
        using var api = await browser.GetAsync(new Uri("/api/runbooks", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
        var user = await _host.Services.GetRequiredService<UserStore>().FindAsync("mei.lin");
        Assert.Equal(("responder", "林梅"), (user?.Role, user?.DisplayName));
        Assert.Contains(await AuditAsync("mei.lin"), e => e is ("sign-in", "oidc", "success"));
    }

    [Fact]
    public async Task LaterSignIn_KeepsTheRoleAnAdminGave_NotTheProvidersClaim()
    {
        _provider.NextUser = new() { ["sub"] = "u-2", ["preferred_username"] = "ops", ["roles"] = "admin" };
        await _host.CreateUserAsync("ops", "viewer");

        var (browser, _) = await SignInAsync("/");

        using var users = await browser.GetAsync(new Uri("/api/users", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Forbidden, users.StatusCode);
        Assert.Equal("viewer", (await _host.Services.GetRequiredService<UserStore>().FindAsync("ops"))?.Role);
    }

    [Fact]
    public async Task DisabledUser_IsSentBackToTheLoginPageWithoutACookie_AndAudited()
    {
        _provider.NextUser = new() { ["sub"] = "u-3", ["preferred_username"] = "gone" };
        await _host.CreateUserAsync("gone", "responder");
        await _host.Services.GetRequiredService<UserStore>().SetDisabledAsync("gone", true);

        var (browser, landing) = await SignInAsync("/");

        Assert.Equal("/login?error=sso", landing);
        using var api = await browser.GetAsync(new Uri("/api/runbooks", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Contains(await AuditAsync("gone"), e => e is ("sign-in", "oidc", "failure"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("../admin")]
    [InlineData("a b")]
    public async Task UnusableUsernameClaim_IsRefused(string claimed)
    {
        _provider.NextUser = new() { ["sub"] = "u-4", ["preferred_username"] = claimed };
        var users = _host.Services.GetRequiredService<UserStore>();
        var before = (await users.ListAsync()).Count;

        var (_, landing) = await SignInAsync("/");

        Assert.Equal("/login?error=sso", landing);
        Assert.Equal(before, (await users.ListAsync()).Count);
    }

    [Fact]
    public async Task ForgedIdToken_SignedWithAnUnpublishedKey_IsRefused()
    {
        _provider.NextUser = new() { ["sub"] = "u-5", ["preferred_username"] = "mallory", ["roles"] = "admin" };
        _provider.SignWithUnknownKey = true;

        var (browser, landing) = await SignInAsync("/");
        _provider.SignWithUnknownKey = false;

        Assert.Equal("/login?error=sso", landing);
        Assert.Null(await _host.Services.GetRequiredService<UserStore>().FindAsync("mallory"));
        using var api = await browser.GetAsync(new Uri("/api/runbooks", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
    }

    [Fact]
    public async Task LoginPage_OffersTheProvider()
    {
        using var client = _host.CreateAnonymousClient();
        var html = await client.GetStringAsync(new Uri("/login?returnUrl=%2Fprobes", UriKind.Relative));

        Assert.Contains("data-testid=\"login-sso\"", html, StringComparison.Ordinal);
        Assert.Contains("/account/login/oidc?returnUrl=%2Fprobes", html, StringComparison.Ordinal);
        Assert.Contains("Test IdP", html, StringComparison.Ordinal);
    }

    /// <summary>Follows the redirects between the portal and the provider like a browser; returns where it lands on the portal.</summary>
    private async Task<(HttpClient Browser, string Landing)> SignInAsync(string returnUrl)
    {
        var cookies = new CookieContainer();
        var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = _host.BaseAddress };
        var next = new Uri(_host.BaseAddress, $"/account/login/oidc?returnUrl={Uri.EscapeDataString(returnUrl)}");
        for (var hop = 0; hop < 10; hop++)
        {
            using var response = await browser.GetAsync(next);
            if (response.StatusCode is not (HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther))
            {
                throw new InvalidOperationException($"{next} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }

            var location = new Uri(next, response.Headers.Location!);
            if (location.Authority == _host.BaseAddress.Authority && !location.AbsolutePath.StartsWith("/signin-oidc", StringComparison.Ordinal)
                && !location.AbsolutePath.StartsWith("/account/", StringComparison.Ordinal))
            {
                return (browser, location.PathAndQuery);
            }

            next = location;
        }

        throw new InvalidOperationException("too many redirects");
    }

    private async Task<List<(string Action, string Target, string Outcome)>> AuditAsync(string actor)
    {
        var entries = await _host.CreateClient().GetFromJsonAsync<JsonElement>($"/api/audit?actor={actor}");
        return [.. entries.EnumerateArray().Select(e => (e.GetProperty("action").GetString()!, e.GetProperty("target").GetString()!, e.GetProperty("outcome").GetString()!))];
    }
}
