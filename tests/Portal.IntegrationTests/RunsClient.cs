using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Portal.Testing;
using Portal.Web.Runs;

namespace Portal.IntegrationTests;

/// <summary>Starts runs through the API and waits for them to end, as a client would.</summary>
public sealed class RunsClient(PortalHost host, HttpClient client)
{
    public async Task PutTargetAsync(string environment, string name, object target)
    {
        using var put = await client.PutAsJsonAsync($"/api/environments/{environment}/targets/{name}", target);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
    }

    public async Task<Guid> StartAsync(string kind, string environment, string target, object? parameters = null, int? timeoutSeconds = null)
    {
        using var response = await client.PostAsJsonAsync("/api/runs", new { kind, environment, target, parameters = parameters ?? new { }, timeoutSeconds });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetGuid();
    }

    /// <summary>Waits for the run's last event, then for its row to say how it ended.</summary>
    public async Task<JsonElement> WaitFinishedAsync(Guid runId, TimeSpan? limit = null)
    {
        using var deadline = new CancellationTokenSource(limit ?? TimeSpan.FromSeconds(60));
        await foreach (var _ in host.Services.GetRequiredService<RunStream>().ReadAsync(runId, 0, TimeSpan.Zero, deadline.Token))
        {
        }

        while (true)
        {
            var run = await client.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}", deadline.Token);
            if (run.GetProperty("status").GetString() != "running")
            {
                return run;
            }

            await Task.Delay(20, deadline.Token);
        }
    }

    public async Task<JsonElement> RunAsync(string kind, string environment, string target, object? parameters = null, int? timeoutSeconds = null) =>
        await WaitFinishedAsync(await StartAsync(kind, environment, target, parameters, timeoutSeconds));

    /// <summary>The target's "breaker" field from GET /api/environments/{env}/targets.</summary>
    public async Task<JsonElement> BreakerAsync(string environment, string target)
    {
        var targets = await client.GetFromJsonAsync<JsonElement>($"/api/environments/{environment}/targets");
        return targets.EnumerateArray().Single(t => t.GetProperty("name").GetString() == target).GetProperty("breaker");
    }

    public static TimeSpan Took(JsonElement run) =>
        run.GetProperty("finishedAt").GetDateTimeOffset() - run.GetProperty("startedAt").GetDateTimeOffset();
}
