using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Portal.Testing;
using Portal.Web.Runs;

namespace Portal.IntegrationTests.Resilience;

/// <summary>What the fault tests share: waiting for a condition, streaming a run over the hub, the API calls of a walkthrough.</summary>
internal static class Faults
{
    /// <summary>Waits until <paramref name="condition"/> holds; returns how long that took. Fails after <paramref name="timeout"/>.</summary>
    public static async Task<TimeSpan> WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < timeout, $"{what} did not happen within {timeout.TotalSeconds:0} s");
            await Task.Delay(20);
        }

        return watch.Elapsed;
    }

    public static async Task<List<RunEvent>> StreamAsync(PortalHost host, Guid runId, string? token = null)
    {
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(host.BaseAddress, "/hubs/runs"), o => o.AccessTokenProvider = () => Task.FromResult(token ?? host.AdminToken))
            .Build();
        await connection.StartAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var events = new List<RunEvent>();
        await foreach (var batch in connection.StreamAsync<List<RunEvent>>("StreamRun", runId, 0L, deadline.Token))
        {
            events.AddRange(batch);
        }

        return events;
    }

    public static async Task<Guid> StartRunAsync(HttpClient client, string target, int lines, int everyMs)
    {
        using var response = await client.PostAsJsonAsync("/api/runs", new
        {
            kind = "test.lines", environment = "local", target,
            parameters = new Dictionary<string, string> { ["lines"] = lines.ToString(System.Globalization.CultureInfo.InvariantCulture), ["every_ms"] = everyMs.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetGuid();
    }

    public static async Task<Guid> StartIncidentAsync(HttpClient client, string runbook = "redis-connection")
    {
        using var response = await client.PostAsJsonAsync("/api/incidents", new { runbook, environment = "local" });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("incidentId").GetGuid();
    }

    public static async Task<JsonElement> PostOkAsync(HttpClient client, string path, object body)
    {
        using var response = await client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public static List<(string Type, JsonElement Payload)> Timeline(JsonElement incident) =>
        [.. incident.GetProperty("timeline").EnumerateArray().Select(e => (e.GetProperty("type").GetString()!, e.GetProperty("payload")))];

    /// <summary>Reads the incident until a probe_finished of <paramref name="runId"/> is in its timeline.</summary>
    public static async Task<JsonElement> WaitForRunRecordedAsync(HttpClient client, Guid incident, Guid runId, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var state = await client.GetFromJsonAsync<JsonElement>($"/api/incidents/{incident}");
            if (Timeline(state).Any(e => e.Type == "probe_finished" && e.Payload.GetProperty("runId").GetGuid() == runId))
            {
                return state;
            }

            Assert.True(watch.Elapsed < timeout, $"run {runId} was not recorded in incident {incident} within {timeout.TotalSeconds:0} s");
            await Task.Delay(50);
        }
    }
}
