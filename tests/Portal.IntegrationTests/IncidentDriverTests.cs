using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Portal.Testing;
using Portal.Web.Auth;

namespace Portal.IntegrationTests;

/// <summary>One driver at a time: refusals of everyone else, request, hand-over, take-over, all in the timeline; the printable report.</summary>
public sealed class IncidentDriverTests(PortalHost host) : IClassFixture<PortalHost>
{
    [Fact]
    public async Task NonDriver_IsRefused409NamingTheDriver_UntilHandedOrTaken_AndEveryChangeIsInTheTimeline()
    {
        var env = await RedisEnvironmentAsync();
        var responder = await ClientAsync("drv-resp-" + Suffix(), PortalRoles.Responder);
        var viewer = await ClientAsync("drv-view-" + Suffix(), PortalRoles.Viewer);
        using var admin = host.CreateClient();
        var incident = await StartAsync(admin, env);

        // The responder is allowed to run probes in general, but admin drives this walkthrough.
        var before = await EventsAsync(admin, incident);
        using (var refused = await responder.Client.PostAsync(new Uri($"/api/incidents/{incident}/steps/ping/run", UriKind.Relative), null))
        {
            var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Equal("You are not the driver", problem.GetProperty("title").GetString());
            Assert.Equal("admin", problem.GetProperty("driver").GetString());
            Assert.Contains($"/api/incidents/{incident}/driver/take", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        foreach (var (path, body) in new (string, object)[]
                 {
                     ($"decisions", new { target = "memory" }), ("resolve", new { }), ("abandon", new { }),
                 })
        {
            using var response = await responder.Client.PostAsJsonAsync($"/api/incidents/{incident}/{path}", body);
            Assert.True(response.StatusCode == HttpStatusCode.Conflict, $"{path}: {(int)response.StatusCode}");
        }

        Assert.Equal(before, await EventsAsync(admin, incident)); // nothing recorded by the refusals

        // Watchers add notes; a viewer may not ask for or take control.
        using (var note = await viewer.Client.PostAsJsonAsync($"/api/incidents/{incident}/notes", new { text = "watching" }))
        {
            Assert.Equal(HttpStatusCode.Created, note.StatusCode);
        }

        using (var take = await viewer.Client.PostAsync(new Uri($"/api/incidents/{incident}/driver/take", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.Forbidden, take.StatusCode);
        }

        // Request, then hand-over to a viewer is refused, to the responder works.
        var requested = await PostAsync(responder.Client, $"/api/incidents/{incident}/driver/request", new { });
        Assert.Equal([responder.Name], requested.GetProperty("driverRequests").EnumerateArray().Select(r => r.GetString()));
        using (var bad = await admin.PostAsJsonAsync($"/api/incidents/{incident}/driver/handover", new { to = viewer.Name }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains("only responders", (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("to")[0].GetString(), StringComparison.Ordinal);
        }

        using (var foreign = await responder.Client.PostAsJsonAsync($"/api/incidents/{incident}/driver/handover", new { to = responder.Name }))
        {
            Assert.Equal(HttpStatusCode.Conflict, foreign.StatusCode); // only the driver hands over
        }

        var handed = await PostAsync(admin, $"/api/incidents/{incident}/driver/handover", new { to = responder.Name });
        Assert.Equal(responder.Name, handed.GetProperty("incident").GetProperty("driver").GetString());
        Assert.Empty(handed.GetProperty("driverRequests").EnumerateArray());

        // Now the responder drives and the admin is the one refused.
        using (var adminRun = await admin.PostAsync(new Uri($"/api/incidents/{incident}/steps/ping/run", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.Conflict, adminRun.StatusCode);
        }

        using (var run = await responder.Client.PostAsync(new Uri($"/api/incidents/{incident}/steps/ping/run", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.Accepted, run.StatusCode);
            var runId = (await run.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetGuid();
            await IncidentTests.WaitForRunEndAsync(admin, incident, runId);
        }

        // The admin takes control back without asking.
        var taken = await PostAsync(admin, $"/api/incidents/{incident}/driver/take", new { });
        Assert.Equal("admin", taken.GetProperty("incident").GetProperty("driver").GetString());
        var changes = taken.GetProperty("timeline").EnumerateArray()
            .Where(e => e.GetProperty("type").GetString() is "driver_changed" or "driver_requested")
            .Select(e => $"{e.GetProperty("actor").GetString()}:{e.GetProperty("type").GetString()}:{e.GetProperty("payload").GetProperty("driver").GetString()}")
            .ToList();
        Assert.Equal(
            [$"{responder.Name}:driver_requested:admin", $"admin:driver_changed:{responder.Name}", "admin:driver_changed:admin"],
            changes);
        var probeStarted = taken.GetProperty("timeline").EnumerateArray().Single(e => e.GetProperty("type").GetString() == "probe_started");
        Assert.Equal(responder.Name, probeStarted.GetProperty("actor").GetString());

        var audit = await admin.GetFromJsonAsync<JsonElement>("/api/audit?action=incident.driver.take&actor=admin");
        Assert.Contains(audit.EnumerateArray(), a => a.GetProperty("target").GetString() == incident.ToString());

        var report = await admin.GetStringAsync(new Uri($"/api/incidents/{incident}/report", UriKind.Relative));
        Assert.Contains($"handed control to {responder.Name}", report, StringComparison.Ordinal);
        Assert.Contains($"took control from {responder.Name}", report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReportPage_ShowsTheMarkdownReportAsHtml_WithoutNavigation_AndSecretsMasked()
    {
        const string secret = "hunter2-report-secret";
        var env = await RedisEnvironmentAsync(secret);
        using var admin = host.CreateClient();
        var incident = await StartAsync(admin, env);
        await PostAsync(admin, $"/api/incidents/{incident}/notes", new { text = $"saw {secret} in the log" });

        // The page signs in with the cookie a browser would have; a bearer token works for pages too.
        using var page = await admin.GetAsync(new Uri($"/incidents/{incident}/report", UriKind.Relative));
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("data-testid=\"incident-report-page\"", html, StringComparison.Ordinal);
        Assert.Contains("<h2>Timeline</h2>", html, StringComparison.Ordinal);
        Assert.Contains("saw *** in the log", html, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, html, StringComparison.Ordinal);
        Assert.DoesNotContain("mud-appbar", html, StringComparison.Ordinal); // no app chrome
        Assert.DoesNotContain("mud-drawer", html, StringComparison.Ordinal);

        using var missing = await admin.GetAsync(new Uri($"/incidents/{Guid.NewGuid()}/report", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task OpenApi_DocumentsHowAnApiCallerBecomesTheDriver()
    {
        using var admin = host.CreateClient();
        var paths = (await admin.GetFromJsonAsync<JsonElement>("/openapi/v1.json")).GetProperty("paths");

        foreach (var action in new[] { "take", "request", "handover" })
        {
            Assert.True(paths.TryGetProperty($"/api/incidents/{{id}}/driver/{action}", out var path), action);
            Assert.True(path.TryGetProperty("post", out _), action);
        }

        var run = paths.GetProperty("/api/incidents/{id}/steps/{stepId}/run").GetProperty("post");
        Assert.True(run.GetProperty("responses").TryGetProperty("409", out _));
        Assert.Contains("Only the driver", run.GetProperty("summary").GetString(), StringComparison.Ordinal);
    }

    private async Task<string> RedisEnvironmentAsync(string? password = null)
    {
        var value = TestEnvironment.Redis ?? throw new InvalidOperationException("PORTAL_TEST_REDIS is not set.");
        var parts = value.Split(',');
        var colon = parts[0].LastIndexOf(':');
        var shared = parts.Skip(1).Select(p => p.Trim()).FirstOrDefault(p => p.StartsWith("password=", StringComparison.Ordinal))?["password=".Length..];
        var env = "drv-" + Suffix();
        using var admin = host.CreateClient();
        using var put = await admin.PutAsJsonAsync($"/api/environments/{env}/targets/redis", new
        {
            role = "platform-redis", kind = "redis", host = parts[0][..colon],
            port = int.Parse(parts[0][(colon + 1)..], CultureInfo.InvariantCulture), password = password ?? shared, allowLoopback = true,
        });
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        return env;
    }

    private async Task<(string Name, HttpClient Client)> ClientAsync(string name, string role)
    {
        var token = await host.IssueTokenAsync(name, await host.CreateUserAsync(name, role));
        return (name, host.CreateClient(token));
    }

    private static async Task<Guid> StartAsync(HttpClient client, string env) =>
        (await PostAsync(client, "/api/incidents", new { runbook = "redis-connection", environment = env })).GetProperty("incidentId").GetGuid();

    private static async Task<int> EventsAsync(HttpClient client, Guid incident) =>
        (await client.GetFromJsonAsync<JsonElement>($"/api/incidents/{incident}")).GetProperty("timeline").GetArrayLength();

    private static async Task<JsonElement> PostAsync(HttpClient client, string path, object body)
    {
        using var response = await client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static string Suffix() => Guid.NewGuid().ToString("N")[..8];
}
