using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Portal.Testing;
using Portal.Web.Auth;
using Portal.Web.Observability;

namespace Portal.IntegrationTests;

/// <summary>/metrics in Prometheus text format, who may read it, and run and incident ids in the logs.</summary>
public sealed partial class ObservabilityTests : IAsyncLifetime
{
    private readonly PortalHost _host = new();
    private HttpClient _client = null!;
    private RunsClient _runs = null!;

    public async Task InitializeAsync()
    {
        _host.Settings["Serilog:MinimumLevel:Default"] = "Information";
        _host.Settings["Portal:LogFormat"] = "json";
        await _host.InitializeAsync();
        _client = _host.CreateClient();
        _runs = new RunsClient(_host, _client);
        await _runs.PutTargetAsync("obs", "redis", new { role = "platform-redis", kind = "redis", host = "127.0.0.1", port = SocketTarget.FreePort(), allowLoopback = true });
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task Metrics_ViewerToken_GetsRunsDurationsHubConnectionsDependenciesAndDegradedMode()
    {
        var viewer = await _host.IssueTokenAsync("prometheus", await _host.CreateUserAsync("prometheus", PortalRoles.Viewer));
        using var scraper = _host.CreateClient(viewer);
        var run = await _runs.RunAsync("redis.ping", "obs", "redis", new { count = "1" });
        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(_host.BaseAddress, "/hubs/runs"), o => o.AccessTokenProvider = () => Task.FromResult(_host.AdminToken))
            .Build();
        await hub.StartAsync();
        using var ready = await scraper.GetAsync(new Uri("/health/ready", UriKind.Relative));
        var degradedHook = "test-" + Guid.NewGuid().ToString("N")[..8];
        _host.Services.GetRequiredService<DegradedModeGauge>().Set(degradedHook, true);

        using var response = await scraper.GetAsync(new Uri("/metrics", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.Equal("fail", run.GetProperty("status").GetString());
        Assert.True(Value(text, "portal_probe_runs_total", "kind=\"redis.ping\"", "outcome=\"fail\"") >= 1, text);
        Assert.True(Value(text, "portal_probe_run_duration_seconds_count", "kind=\"redis.ping\"", "outcome=\"fail\"") >= 1, text);
        Assert.Contains("portal_probe_run_duration_seconds_bucket{", text, StringComparison.Ordinal);
        Assert.True(Value(text, "portal_hub_connections_active") >= 1, text);
        Assert.NotNull(Value(text, "portal_probe_runs_active"));
        Assert.True(Value(text, "portal_dependency_latency_seconds_count", "dependency=\"postgres\"") >= 1, text);
        if (TestEnvironment.Redis is not null)
        {
            Assert.True(Value(text, "portal_dependency_latency_seconds_count", "dependency=\"redis\"") >= 1, text);
        }

        Assert.Equal(0, Value(text, "portal_degraded", "dependency=\"postgres\""));
        Assert.Equal(1, Value(text, "portal_degraded", $"dependency=\"{degradedHook}\""));
        Assert.NotNull(Value(text, "portal_target_breakers_open"));
        // ASP.NET Core's and the runtime's own instruments come along.
        Assert.Contains("http_server_request_duration_seconds", text, StringComparison.Ordinal);
        Assert.Contains("dotnet_gc_", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_Anonymous_Is401NotALoginPage()
    {
        using var response = await new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = _host.BaseAddress }
            .GetAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Logs_OfARunStartedFromAnIncident_CarryTheRunIdAndTheIncidentId()
    {
        using var start = await _client.PostAsJsonAsync("/api/incidents", new { runbook = "redis-connection", environment = "obs" });
        var incident = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("incidentId").GetGuid();
        using var step = await _client.PostAsync(new Uri($"/api/incidents/{incident}/steps/ping/run", UriKind.Relative), null);
        var runId = (await step.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetGuid();
        await _runs.WaitFinishedAsync(runId);

        // "Run {Kind} on {Environment}/{Target} ended {Status}: {Summary}", the runner's last line of a run.
        var ended = await WaitForLogAsync(l => l.Contains(" ended ", StringComparison.Ordinal) && l.Contains($"RunId={runId}", StringComparison.Ordinal));

        Assert.Contains($"IncidentId={incident}", ended, StringComparison.Ordinal);
    }

    private async Task<string> WaitForLogAsync(Func<string, bool> match)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (true)
        {
            if (_host.Logs.Lines.FirstOrDefault(match) is { } line)
            {
                return line;
            }

            Assert.False(deadline.IsCancellationRequested, "no such log line in:\n" + string.Join('\n', _host.Logs.Lines.Where(l => l.Contains("Run", StringComparison.Ordinal)).Take(20)));
            await Task.Delay(20, CancellationToken.None);
        }
    }

    /// <summary>The value of the first sample of <paramref name="metric"/> whose labels include all of <paramref name="labels"/>; null when none.</summary>
    private static double? Value(string text, string metric, params string[] labels)
    {
        foreach (Match m in Sample().Matches(text))
        {
            if (m.Groups["name"].Value == metric && labels.All(l => m.Groups["labels"].Value.Contains(l, StringComparison.Ordinal)))
            {
                return double.Parse(m.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex Sample();
}
