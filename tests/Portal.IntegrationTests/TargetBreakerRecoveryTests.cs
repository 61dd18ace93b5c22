using Portal.Testing;

namespace Portal.IntegrationTests;

/// <summary>A breaker opens on refused connections, goes half-open after its break, and closes when the target answers again.</summary>
public sealed class TargetBreakerRecoveryTests : IAsyncLifetime
{
    private readonly PortalHost _host = new();
    private HttpClient _client = null!;
    private RunsClient _runs = null!;

    public async Task InitializeAsync()
    {
        _host.Settings["Portal:Resilience:MinimumThroughput"] = "3";
        _host.Settings["Portal:Resilience:BreakDuration"] = "00:00:01";
        await _host.InitializeAsync();
        _client = _host.CreateClient();
        _runs = new RunsClient(_host, _client);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task RefusedThreeTimes_Opens_ThenHalfOpenTestAgainstALiveServer_Closes()
    {
        var port = SocketTarget.FreePort();
        await _runs.PutTargetAsync("faults", "flaky", new { role = "flaky", kind = "http", baseUrl = $"http://127.0.0.1:{port}", allowLoopback = true });
        for (var i = 0; i < 3; i++)
        {
            var refused = await _runs.RunAsync("http.check", "faults", "flaky", new { path = "/" });
            Assert.Equal("refused", refused.GetProperty("findings").GetProperty("http.error").GetString());
        }

        var opened = await _runs.BreakerAsync("faults", "flaky");
        Assert.NotEqual("closed", opened.GetProperty("state").GetString());
        Assert.StartsWith("http.error=refused", opened.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        Assert.True(opened.TryGetProperty("openSince", out var since) && since.ValueKind != System.Text.Json.JsonValueKind.Null);

        await using var server = SocketTarget.Healthy(port);
        await WaitForStateAsync("half-open");
        var test = await _runs.RunAsync("http.check", "faults", "flaky", new { path = "/" });

        Assert.Equal("pass", test.GetProperty("status").GetString());
        Assert.Equal(1, server.Accepted);
        var closed = await _runs.BreakerAsync("faults", "flaky");
        Assert.Equal("closed", closed.GetProperty("state").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, closed.GetProperty("openSince").ValueKind);
    }

    [Fact]
    public async Task HalfOpenTestFails_OpensAgain_AndEditingTheTargetCloses()
    {
        var port = SocketTarget.FreePort();
        object Target(int p) => new { role = "down", kind = "http", baseUrl = $"http://127.0.0.1:{p}", allowLoopback = true };
        await _runs.PutTargetAsync("faults", "down", Target(port));
        for (var i = 0; i < 3; i++)
        {
            await _runs.RunAsync("http.check", "faults", "down", new { path = "/" });
        }

        await WaitForStateAsync("half-open", "down");
        var test = await _runs.RunAsync("http.check", "faults", "down", new { path = "/" });
        var answeredAtOnce = await _runs.RunAsync("http.check", "faults", "down", new { path = "/" });

        Assert.Equal("refused", test.GetProperty("findings").GetProperty("http.error").GetString());
        Assert.Equal("open", (await _runs.BreakerAsync("faults", "down")).GetProperty("state").GetString());
        Assert.Equal("open", answeredAtOnce.GetProperty("findings").GetProperty("circuit.state").GetString());

        // A new address deserves a fresh try.
        await using var server = SocketTarget.Healthy();
        await _runs.PutTargetAsync("faults", "down", Target(server.Port));
        Assert.Equal("closed", (await _runs.BreakerAsync("faults", "down")).GetProperty("state").GetString());
        Assert.Equal("pass", (await _runs.RunAsync("http.check", "faults", "down", new { path = "/" })).GetProperty("status").GetString());
    }

    private async Task WaitForStateAsync(string state, string target = "flaky")
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while ((await _runs.BreakerAsync("faults", target)).GetProperty("state").GetString() != state)
        {
            await Task.Delay(50, deadline.Token);
        }
    }
}
