using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace Portal.IntegrationTests;

/// <summary>
/// The fault matrix: for each fault of scripts/lab.sh, inject it into the running lab, sweep the `lab`
/// environment, expect the right runbook first, start the walkthrough from the sweep and follow the engine's
/// recommendations to where the runbook leads, heal, and expect a clean sweep. One lab for all of them.
/// </summary>
public sealed class FaultLabTests(LabFixture lab, ITestOutputHelper output) : IClassFixture<LabFixture>
{
    /// <summary>
    /// fault, the runbook triage must rank first, the step the walkthrough opens at, and where following the
    /// recommendations ends: a solution, or the decision/step where the runbook hands over to a person
    /// (or to a target the lab does not have, such as Prometheus).
    /// </summary>
    public static TheoryData<string, string, string, string> Matrix => new()
    {
        { "port-conflict", "service-start", "port", "solution:port-conflict" },
        { "pg-down", "database-connection", "db-port", "solution:connection-config" },
        { "pg-auth", "database-connection", "test-connection", "solution:connection-config" },
        { "pg-pool", "database-connection", "test-connection", "solution:connection-pool" },
        { "redis-down", "redis-connection", "redis-port", "solution:connection-config" },
        { "redis-maxmemory", "redis-connection", "memory", "solution:memory-config" },
        { "component-unhealthy", "component-registration", "health", "solution:service-state" },
        { "workflow-failed", "workflow-failure", "", "host-memory" },
        { "api-slow", "slow-response", "api-latency", "metrics" },
        { "tls-expired", "tls", "handshake", "solution:certificate-renewal" },
        { "dns-failure", "connection-timeout", "dns", "cause" },
        { "memory-pressure", "high-memory", "process-memory", "cause" },
        { "cpu-burn", "high-cpu", "cpu-processes", "cause" },
    };

    [Fact]
    public async Task HealthyLab_SweepSuggestsNothing_AndCoversEveryTarget()
    {
        var (sweep, _) = await lab.TriageAsync();

        Assert.True(Suggestions(sweep).Count == 0, "a healthy lab got suggestions: " + Describe(sweep));
        Assert.Equal(["fine-tuning-service", "platform-api", "platform-db", "platform-redis"], sweep.GetProperty("targets").EnumerateArray().Select(t => t.GetString()).Order());
        Assert.All(sweep.GetProperty("cells").EnumerateArray(), c => Assert.NotEqual("running", c.GetProperty("status").GetString()));
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Fault_TriageRanksItsRunbookFirst_WalkthroughLeadsOn_HealedSweepIsClean(string fault, string runbook, string step, string end)
    {
        await lab.LabAsync("fault", fault);
        double diagnosis, sweepSeconds, walk;
        try
        {
            var (sweep, elapsed) = await lab.TriageAsync();
            var suggestions = Suggestions(sweep);
            Assert.True(suggestions.Count > 0 && suggestions[0].GetProperty("slug").GetString() == runbook,
                $"{fault}: expected {runbook} first; got {Describe(sweep)}");
            var top = suggestions[0];
            Assert.Equal(step, top.GetProperty("step").GetString() ?? "");
            Assert.Contains(" on ", top.GetProperty("reason").GetProperty("en").GetString(), StringComparison.Ordinal);
            diagnosis = elapsed.TotalSeconds;
            sweepSeconds = sweep.GetProperty("seconds").GetDouble();

            var watch = Stopwatch.StartNew();
            using var started = await lab.Client.PostAsJsonAsync($"/api/triage/{sweep.GetProperty("id").GetGuid()}/walkthrough", new { runbook });
            Assert.True(started.IsSuccessStatusCode, await started.Content.ReadAsStringAsync());
            var incident = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("incidentId").GetGuid();
            var opened = await lab.Client.GetFromJsonAsync<JsonElement>($"/api/incidents/{incident}");
            Assert.Equal(step.Length > 0 ? step : opened.GetProperty("steps")[0].GetProperty("id").GetString(), opened.GetProperty("position").GetProperty("id").GetString());
            Assert.Contains(opened.GetProperty("timeline").EnumerateArray(), e => e.GetProperty("type").GetString() == "note");

            var reached = await FollowAsync(incident);
            walk = watch.Elapsed.TotalSeconds;
            Assert.Equal(end, reached);
        }
        finally
        {
            await lab.LabAsync("heal", fault);
        }

        var (clean, _) = await lab.TriageAsync();
        Assert.True(Suggestions(clean).Count == 0, $"{fault} healed, yet: {Describe(clean)}");
        lock (lab.Timings)
        {
            lab.Timings[fault] = (diagnosis, sweepSeconds, walk);
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {fault} | {runbook} | {diagnosis:0.00} s | {sweepSeconds:0.00} s | {walk:0.00} s |"));
    }

    /// <summary>
    /// Follows the engine: runs probe steps, gives the lab's workflow id, takes each recommendation; stops at a
    /// solution, a decision, a step it cannot run, or a whole-host check (host.memory, host.cpu).
    /// </summary>
    private async Task<string> FollowAsync(Guid incident)
    {
        for (var hop = 0; hop < 15; hop++)
        {
            var state = await lab.Client.GetFromJsonAsync<JsonElement>($"/api/incidents/{incident}");
            var position = state.GetProperty("position");
            if (position.GetProperty("kind").GetString() != "step")
            {
                return position.GetProperty("reference").GetString()!;
            }

            var id = position.GetProperty("id").GetString()!;
            if (state.GetProperty("recommendation") is { ValueKind: JsonValueKind.Object } recommendation
                && recommendation.GetProperty("target").GetProperty("kind").GetString() != "end")
            {
                await PostAsync($"/api/incidents/{incident}/decisions", new { target = recommendation.GetProperty("target").GetProperty("reference").GetString() });
                continue;
            }

            var current = state.GetProperty("currentStep");
            if (current.GetProperty("probe") is { ValueKind: JsonValueKind.Object } call && call.GetProperty("kind").GetString()!.StartsWith("host.", StringComparison.Ordinal))
            {
                return id; // the lab shares its machine: whole-host memory and CPU are not the lab's to judge
            }

            switch (current.GetProperty("kind").GetString())
            {
                case "probe" when current.GetProperty("probe").GetProperty("target").ValueKind == JsonValueKind.String:
                    using (var run = await lab.Client.PostAsync($"/api/incidents/{incident}/steps/{id}/run", null))
                    {
                        Assert.True(run.IsSuccessStatusCode, await run.Content.ReadAsStringAsync());
                        var runId = (await run.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetGuid();
                        await IncidentTests.WaitForRunEndAsync(lab.Client, incident, runId);
                    }

                    break;
                case "input":
                    await PostAsync($"/api/incidents/{incident}/inputs/{id}", new { value = "wf-lab-failed" });
                    break;
                default:
                    return id; // a decision, or a probe whose role the lab has no target for
            }
        }

        throw new InvalidOperationException($"incident {incident} did not settle in 15 hops");
    }

    private async Task PostAsync(string path, object body)
    {
        using var response = await lab.Client.PostAsJsonAsync(path, body);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {await response.Content.ReadAsStringAsync()}");
    }

    private static List<JsonElement> Suggestions(JsonElement sweep) => [.. sweep.GetProperty("suggestions").EnumerateArray()];

    private static string Describe(JsonElement sweep)
    {
        var text = new StringBuilder();
        foreach (var s in Suggestions(sweep))
        {
            text.Append(CultureInfo.InvariantCulture, $"[{s.GetProperty("score").GetInt32()}] {s.GetProperty("reason").GetProperty("en").GetString()}; ");
        }

        text.Append("cells: ");
        foreach (var c in sweep.GetProperty("cells").EnumerateArray())
        {
            text.Append(CultureInfo.InvariantCulture, $"{c.GetProperty("probe").GetString()}@{c.GetProperty("target").GetString()}={c.GetProperty("status").GetString()}; ");
        }

        return text.ToString();
    }
}
