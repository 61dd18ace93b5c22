using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Portal.Testing;
using Portal.Web.Auth;

namespace Portal.IntegrationTests;

/// <summary>Sign-in, tokens, lockout, the audit trail and the role matrix over every endpoint.</summary>
public sealed class AuthTests(PortalHost host) : IClassFixture<PortalHost>
{
    [Fact]
    public async Task Token_RightPassword_WorksAndWrongPasswordIs401WithoutSayingWhichPartWasWrong()
    {
        using var anonymous = host.CreateAnonymousClient();

        using var wrong = await anonymous.PostAsJsonAsync("/api/auth/token", new { username = "admin", password = "not-it" });
        using var unknown = await anonymous.PostAsJsonAsync("/api/auth/token", new { username = "nobody-here", password = "x" });
        using var runbooks = await host.CreateClient().GetAsync(new Uri("/api/runbooks", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal(
            (await wrong.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(),
            (await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.OK, runbooks.StatusCode);
    }

    [Fact]
    public async Task Token_Revoked_IsRefusedAtOnce()
    {
        var password = await host.CreateUserAsync("revokee", PortalRoles.Viewer);
        var token = await host.IssueTokenAsync("revokee", password);
        using var client = host.CreateClient(token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/api/runbooks", UriKind.Relative))).StatusCode);

        var tokens = await host.CreateClient().GetFromJsonAsync<JsonElement>("/api/auth/tokens");
        var id = tokens.EnumerateArray().First(t => t.GetProperty("username").GetString() == "revokee").GetProperty("id").GetGuid();
        using var revoke = await host.CreateClient().DeleteAsync(new Uri($"/api/auth/tokens/{id}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(new Uri("/api/runbooks", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task Lockout_AfterRepeatedFailures_EvenTheRightPasswordIsRefused()
    {
        var password = await host.CreateUserAsync("clumsy", PortalRoles.Viewer);
        for (var i = 0; i < SignInService.LockAfterFailures; i++)
        {
            Assert.Null(await host.IssueTokenAsync("clumsy", "wrong-" + i));
        }

        using var anonymous = host.CreateAnonymousClient();
        using var locked = await anonymous.PostAsJsonAsync("/api/auth/token", new { username = "clumsy", password });

        Assert.Equal(HttpStatusCode.Unauthorized, locked.StatusCode);
        Assert.Contains("Too many failed attempts", (await locked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_RecordsSignInsAndRefusesToBeRewritten()
    {
        Assert.Null(await host.IssueTokenAsync("admin", "definitely-wrong"));

        var records = await host.CreateClient().GetFromJsonAsync<JsonElement>("/api/audit?action=sign-in&actor=admin");
        await using var update = host.Database.DataSource.CreateCommand("UPDATE audit_log SET outcome = 'success'");
        var error = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => update.ExecuteNonQueryAsync());
        var csv = await host.CreateClient().GetStringAsync(new Uri("/api/audit/export.csv?actor=admin", UriKind.Relative));

        Assert.Contains(records.EnumerateArray(), r => r.GetProperty("outcome").GetString() == "failure");
        Assert.Contains(records.EnumerateArray(), r => r.GetProperty("outcome").GetString() == "success");
        Assert.Contains("append-only", error.MessageText, StringComparison.Ordinal);
        Assert.StartsWith("id,at,actor,source,action,target,outcome,details", csv, StringComparison.Ordinal);
        Assert.DoesNotContain("definitely-wrong", csv, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryEndpoint_DeclaresWhoMayCallIt()
    {
        var undeclared = Endpoints()
            // Blazor's own circuit, framework and static-file fallback endpoints: the fallback policy (viewer) applies.
            .Where(e => !e.Route.StartsWith('_') && e.Name?.StartsWith("Fallback {**path:file}", StringComparison.Ordinal) != true)
            .Where(e => e.Policy is null && !e.Anonymous)
            .Select(e => $"{e.Route} ({e.Name})")
            .ToList();

        Assert.True(undeclared.Count == 0, "endpoints without a policy: " + string.Join(", ", undeclared));
    }

    [Fact]
    public async Task RoleMatrix_EveryApiEndpointAndPage_AgainstEveryRole()
    {
        var tokens = new Dictionary<string, string?> { ["anonymous"] = null };
        foreach (var role in PortalRoles.All)
        {
            var name = "matrix-" + role;
            tokens[role] = await host.IssueTokenAsync(name, await host.CreateUserAsync(name, role));
        }

        var checkedCount = 0;
        var wrong = new List<string>();
        foreach (var endpoint in Endpoints().Where(e => !e.Anonymous && !e.Route.StartsWith('_')
                                                         && !e.Route.StartsWith("account", StringComparison.Ordinal)))
        {
            var required = PortalRoles.Rank(endpoint.Policy ?? PortalRoles.Viewer);
            foreach (var (role, token) in tokens)
            {
                // Redirects are answers here: a page sends the anonymous to /login and the wrong role to /denied.
                using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = host.BaseAddress };
                if (token is not null)
                {
                    client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
                }

                using var request = new HttpRequestMessage(new HttpMethod(endpoint.Method), Fill(endpoint.Route));
                if (endpoint.Method is "POST" or "PUT")
                {
                    request.Content = JsonContent.Create(new { });
                }

                using var response = await client.SendAsync(request);
                var location = response.Headers.Location?.OriginalString ?? "";
                var refused = response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
                              || (response.StatusCode == HttpStatusCode.Redirect && (location.Contains("/login", StringComparison.Ordinal) || location.Contains("/denied", StringComparison.Ordinal)));
                var shouldRefuse = PortalRoles.Rank(role) < required;
                checkedCount++;
                if (refused != shouldRefuse)
                {
                    wrong.Add($"{endpoint.Method} /{endpoint.Route} as {role}: {(int)response.StatusCode}");
                }
            }
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
        Assert.True(checkedCount > 60, $"only {checkedCount} checks ran");
    }

    /// <summary>The walkthrough's hand-over endpoints and printable report page are in the matrix above, with these policies.</summary>
    [Theory]
    [InlineData("POST", "api/incidents/{id:guid}/driver/take", PortalRoles.Responder)]
    [InlineData("POST", "api/incidents/{id:guid}/driver/request", PortalRoles.Responder)]
    [InlineData("POST", "api/incidents/{id:guid}/driver/handover", PortalRoles.Responder)]
    [InlineData("POST", "api/incidents/{id:guid}/notes", PortalRoles.Viewer)]
    [InlineData("GET", "incidents/{Id:guid}/report", PortalRoles.Viewer)]
    [InlineData("GET", "api/incidents/{id:guid}/report", PortalRoles.Viewer)]
    public void IncidentEndpoints_HaveTheirPolicies(string method, string route, string policy)
    {
        var endpoint = Endpoints().SingleOrDefault(e => e.Route == route && e.Method == method);

        Assert.True(endpoint is not null, $"{method} /{route} is not mapped");
        Assert.Equal(policy, endpoint.Policy);
        Assert.False(endpoint.Anonymous);
    }

    [Fact]
    public void Matrix_CoversMetrics_ForViewersOnly()
    {
        // /metrics is in the role matrix above like any endpoint: Prometheus scrapes it with a viewer's bearer token.
        var metrics = Assert.Single(Endpoints(), e => e.Route == "metrics");

        Assert.Equal(PortalRoles.Viewer, metrics.Policy);
        Assert.False(metrics.Anonymous);
    }

    [Fact]
    public async Task Hub_AnonymousIsRefused_ViewerMayConnect()
    {
        var viewerToken = await host.IssueTokenAsync("hub-viewer", await host.CreateUserAsync("hub-viewer", PortalRoles.Viewer));

        using var anonymous = await host.CreateAnonymousClient().PostAsync(new Uri("/hubs/runs/negotiate?negotiateVersion=1", UriKind.Relative), null);
        using var viewer = await host.CreateClient(viewerToken).PostAsync(new Uri("/hubs/runs/negotiate?negotiateVersion=1", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, viewer.StatusCode);
    }

    private sealed record EndpointInfo(string Route, string Method, string? Policy, bool Anonymous, string? Name = null);

    private IEnumerable<EndpointInfo> Endpoints() =>
        host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e =>
            {
                var methods = e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"];
                var policy = e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).LastOrDefault(p => p is not null);
                var anonymous = e.Metadata.GetMetadata<IAllowAnonymous>() is not null;
                return methods.Select(m => new EndpointInfo(e.RoutePattern.RawText?.TrimStart('/') ?? "", m, policy, anonymous, e.DisplayName));
            })
            .Where(e => e.Method != "OPTIONS")
            .DistinctBy(e => (e.Route, e.Method));

    /// <summary>Real-looking values for route parameters, so each request reaches authorization and routing.</summary>
    private static string Fill(string route) =>
        "/" + System.Text.RegularExpressions.Regex.Replace(route, @"\{(\*?)([a-zA-Z]+)(:[^}]+)?\}", m => m.Groups[2].Value switch
        {
            "slug" => "tls",
            "environment" => "local",
            "name" => "matrix-target",
            _ when m.Groups[3].Value.Contains("guid", StringComparison.Ordinal) => Guid.NewGuid().ToString(),
            _ when m.Groups[3].Value.Contains("int", StringComparison.Ordinal) => "0",
            _ => "x",
        });
}
