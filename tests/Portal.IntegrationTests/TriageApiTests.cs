using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Portal.Testing;

namespace Portal.IntegrationTests;

/// <summary>/api/triage refusals and definitions, on a real host (the fault matrix in FaultLabTests covers real sweeps).</summary>
public sealed class TriageApiTests(PortalHost host) : IClassFixture<PortalHost>
{
    [Theory]
    [InlineData("{}", "environment")]
    [InlineData("{\"environment\":\"no-such-env\"}", "environment")]
    [InlineData("{\"environment\":\"lo\\u0000cal\"}", "environment")]
    public async Task Start_BadEnvironment_Is400NamingTheField(string body, string field)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await host.CreateClient().PostAsync(new Uri("/api/triage", UriKind.Relative), content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task Get_UnknownSweep_Is404()
    {
        using var response = await host.CreateClient().GetAsync(new Uri($"/api/triage/{Guid.NewGuid()}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Definition_DefaultsUntilSet_BadOneRefusedAndChangesNothing_DeleteGoesBack()
    {
        var client = host.CreateClient();
        using (await client.PutAsJsonAsync("/api/environments/triage-def/targets/cache", new { role = "platform-redis", kind = "redis", host = "127.0.0.1", port = 6390, allowLoopback = true }))
        {
        }

        var before = await client.GetFromJsonAsync<JsonElement>("/api/triage/definitions/triage-def");
        using var bad = await client.PutAsJsonAsync("/api/triage/definitions/triage-def", new { checks = new[] { new { targetKind = "redis", probe = "no.such.probe" } } });
        using var follows = await client.PutAsJsonAsync("/api/triage/definitions/triage-def", new { checks = new[] { new { role = "platform-api", probe = "journal.tail" } } });
        var afterBad = await client.GetFromJsonAsync<JsonElement>("/api/triage/definitions/triage-def");
        using var good = await client.PutAsJsonAsync("/api/triage/definitions/triage-def", new { checks = new[] { new { targetKind = "redis", probe = "redis.ping", timeoutSeconds = 5 } } });
        var set = await client.GetFromJsonAsync<JsonElement>("/api/triage/definitions/triage-def");
        using var reset = await client.DeleteAsync(new Uri("/api/triage/definitions/triage-def", UriKind.Relative));
        var afterReset = await client.GetFromJsonAsync<JsonElement>("/api/triage/definitions/triage-def");

        Assert.True(before.GetProperty("isDefault").GetBoolean());
        Assert.Contains(before.GetProperty("checks").EnumerateArray(), c => c.GetProperty("probe").GetString() == "redis.ping");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, follows.StatusCode);
        Assert.True(afterBad.GetProperty("isDefault").GetBoolean());
        Assert.Equal(HttpStatusCode.NoContent, good.StatusCode);
        Assert.False(set.GetProperty("isDefault").GetBoolean());
        Assert.Single(set.GetProperty("checks").EnumerateArray());
        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        Assert.True(afterReset.GetProperty("isDefault").GetBoolean());
    }

    [Fact]
    public async Task Sweep_RedisNobodyListensOn_RanksRedisRunbook_WalkthroughRefusesUnsuggestedRunbook()
    {
        var client = host.CreateClient();
        using (await client.PutAsJsonAsync("/api/environments/triage-down/targets/cache", new { role = "platform-redis", kind = "redis", host = "127.0.0.1", port = ClosedPort(), password = "x", allowLoopback = true }))
        {
        }

        using var started = await client.PostAsJsonAsync("/api/triage", new { environment = "triage-down" });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("sweepId").GetGuid();
        JsonElement sweep;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        do
        {
            await Task.Delay(20);
            sweep = await client.GetFromJsonAsync<JsonElement>($"/api/triage/{id}");
        }
        while (sweep.GetProperty("status").GetString() != "done" && watch.Elapsed < TimeSpan.FromSeconds(30));

        var top = sweep.GetProperty("suggestions")[0];
        Assert.Equal("redis-connection", top.GetProperty("slug").GetString());
        Assert.Equal("Redis连接问题: tcp.connect refused on cache", top.GetProperty("reason").GetProperty("zh-CN").GetString());
        Assert.Equal(3, sweep.GetProperty("cells").GetArrayLength()); // tcp.connect, redis.ping, redis.memory

        using var wrong = await client.PostAsJsonAsync($"/api/triage/{id}/walkthrough", new { runbook = "tls" });
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);

        using var walk = await client.PostAsJsonAsync($"/api/triage/{id}/walkthrough", new { runbook = "redis-connection" });
        Assert.Equal(HttpStatusCode.Created, walk.StatusCode);
        var incident = await client.GetFromJsonAsync<JsonElement>($"/api/incidents/{(await walk.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("incidentId").GetGuid()}");
        Assert.Equal("redis-port", incident.GetProperty("position").GetProperty("id").GetString());
        Assert.Equal("solution:connection-config", incident.GetProperty("recommendation").GetProperty("target").GetProperty("reference").GetString());
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
