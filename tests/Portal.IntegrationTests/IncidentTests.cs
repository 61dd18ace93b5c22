using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Probes.Contract;
using Portal.Runbooks.Model;
using Portal.Runbooks.Storage;
using Portal.Testing;
using Portal.Web.Incidents;
using Portal.Web.Runs;

namespace Portal.IntegrationTests;

/// <summary>Walkthroughs as incidents through /api/incidents, on a real host, PostgreSQL and Redis.</summary>
public sealed class IncidentTests : IAsyncLifetime
{
    private const string RedisPassword = "devredis";
    private readonly PortalHost _host = new() { ConfigureServices = s => s.AddSingleton<IProbe, LinesProbe>() };
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        await _host.InitializeAsync();
        _client = _host.CreateClient();
        var (host, port, password) = TestRedis();
        await PutTargetAsync("it", "redis", new { role = "platform-redis", kind = "redis", host, port, password, allowLoopback = true });
        await PutTargetAsync("down", "redis", new { role = "platform-redis", kind = "redis", host = "127.0.0.1", port = ClosedPort(), password = RedisPassword, allowLoopback = true });
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task RunFirstStep_AgainstTestRedis_RecordsRunVerdictFindingsAndRecommendation()
    {
        var started = await StartAsync("redis-connection", "it");

        var runId = await RunAsync(started, "ping");
        var streamed = await StreamAsync(runId);
        var state = await WaitForRunEndAsync(_client, started, runId);

        Assert.True(streamed[^1].IsTerminal);
        Assert.Contains(streamed, e => e.Type == RunEventTypes.Verdict && e.Value == "pass");

        var timeline = Timeline(state);
        Assert.Equal(["started", "step_entered", "probe_started", "probe_finished", "recommendation"], timeline.Select(e => e.Type));
        var finished = timeline.Single(e => e.Type == "probe_finished").Payload;
        Assert.Equal("pass", finished.GetProperty("verdict").GetString());
        Assert.Equal(runId, finished.GetProperty("runId").GetGuid());
        Assert.True(finished.GetProperty("findings").TryGetProperty("redis.ping.avg_ms", out _));
        // No rule matches a healthy server: the step's Next (memory).
        Assert.Equal("memory", state.GetProperty("recommendation").GetProperty("target").GetProperty("id").GetString());
        Assert.Equal("next", state.GetProperty("recommendation").GetProperty("source").GetString());
        Assert.Equal("redis", state.GetProperty("bindings").GetProperty("platform-redis").GetString());
        Assert.Equal(JsonValueKind.Null, state.GetProperty("activeRunId").ValueKind);
    }

    [Fact]
    public async Task TwoHubClients_OnOneIncident_SeeTheSameEventsOfItsRun()
    {
        var incident = await StartAsync("redis-connection", "it");
        var state = await _client.GetFromJsonAsync<JsonElement>($"/api/incidents/{incident}");
        var runId = await RunAsync(incident, "ping");

        // Two clients (say, the chat bot and a dashboard) subscribe to the run the incident names, one joining late.
        var first = StreamAsync(runId);
        var second = Task.Run(async () =>
        {
            await Task.Yield();
            var current = await _client.GetFromJsonAsync<JsonElement>($"/api/incidents/{incident}");
            var active = current.GetProperty("activeRunId");
            return await StreamAsync(active.ValueKind == JsonValueKind.Null ? runId : active.GetGuid());
        });
        var (a, b) = (await first, await second);

        Assert.Equal("ping", state.GetProperty("position").GetProperty("id").GetString());
        Assert.True(a.Count > 3);
        Assert.Equal(a.Select(e => (e.Seq, e.Type, e.Text, e.Key, e.Value)), b.Select(e => (e.Seq, e.Type, e.Text, e.Key, e.Value)));
        Assert.Equal(Enumerable.Range(1, a.Count).Select(i => (long)i), a.Select(e => e.Seq));
        Assert.True(a[^1].IsTerminal);
    }

    [Fact]
    public async Task RedisDown_RulesLeadToTheConnectionSolution_OverrideNoteReportAndRestart()
    {
        var incident = await StartAsync("redis-connection", "down");

        // ping: connection refused -> the rule sends us to the TCP check of the port.
        var ping = await WaitForRunEndAsync(_client, incident, await RunAsync(incident, "ping"));
        Assert.Equal("fail", Finished(ping, "ping").GetProperty("verdict").GetString());
        Assert.Equal("refused", Finished(ping, "ping").GetProperty("findings").GetProperty("redis.error").GetString());
        Assert.Equal("redis-port", ping.GetProperty("recommendation").GetProperty("target").GetProperty("id").GetString());
        Assert.Equal("redis.error == refused", ping.GetProperty("recommendation").GetProperty("rule").GetString());

        var atPort = await PostAsync($"/api/incidents/{incident}/decisions", new { target = "redis-port" });
        Assert.DoesNotContain(Timeline(atPort), e => e.Type == "override");

        // redis-port: nothing listens -> Redis is not there: check the connection settings.
        var port = await WaitForRunEndAsync(_client, incident, await RunAsync(incident, "redis-port"));
        Assert.Equal("solution:connection-config", port.GetProperty("recommendation").GetProperty("target").GetProperty("reference").GetString());

        // The engineer knows better: network. The override is recorded with what was recommended.
        var chosen = await PostAsync($"/api/incidents/{incident}/decisions", new { target = "solution:network" });
        var over = Timeline(chosen).Single(e => e.Type == "override").Payload;
        Assert.Equal("solution:connection-config", over.GetProperty("recommended").GetString());
        Assert.Equal("solution:network", over.GetProperty("chosen").GetString());
        Assert.Equal("network", chosen.GetProperty("currentSolution").GetProperty("id").GetString());

        // A note that quotes the target's password: stored as written, masked in the report.
        using (var note = await _client.PostAsJsonAsync($"/api/incidents/{incident}/notes", new { text = $"tried redis-cli -a {RedisPassword}\nstill refused" }))
        {
            Assert.Equal(HttpStatusCode.Created, note.StatusCode);
        }

        var resolved = await PostAsync($"/api/incidents/{incident}/resolve", new { summary = "Redis was stopped; started it again." });
        Assert.Equal("resolved", resolved.GetProperty("incident").GetProperty("status").GetString());

        using var reportResponse = await _client.GetAsync(new Uri($"/api/incidents/{incident}/report", UriKind.Relative));
        var report = await reportResponse.Content.ReadAsStringAsync();
        Assert.Equal("text/markdown", reportResponse.Content.Headers.ContentType?.MediaType);
        Assert.Contains("## Timeline", report, StringComparison.Ordinal);
        Assert.Contains("OVERRIDE: chose solution:network instead of the recommended solution:connection-config", report, StringComparison.Ordinal);
        Assert.Contains("`redis.error` | refused", report, StringComparison.Ordinal);
        Assert.Contains("## Output excerpts", report, StringComparison.Ordinal);
        Assert.Contains("tried redis-cli -a ***", report, StringComparison.Ordinal);
        Assert.DoesNotContain(RedisPassword, report, StringComparison.Ordinal);

        // A restart: a new portal on the same database shows the same incident.
        var before = await _client.GetStringAsync(new Uri($"/api/incidents/{incident}", UriKind.Relative));
        await using var restarted = PortalHost.OnDatabase(_host.Database);
        await restarted.InitializeAsync();
        using var client = restarted.CreateClient();
        var after = await client.GetStringAsync(new Uri($"/api/incidents/{incident}", UriKind.Relative));
        Assert.Equal(before, after);
        var list = await client.GetFromJsonAsync<JsonElement>("/api/incidents?status=resolved");
        Assert.Contains(list.EnumerateArray(), i => i.GetProperty("id").GetGuid() == incident && i.GetProperty("url").GetString() == $"/incidents/{incident}");
    }

    [Fact]
    public async Task Restart_WhileAProbeRuns_TheRunEndIsRecordedOnTheNextRead()
    {
        await SaveRunbookAsync("it-lines", "box", "test.lines", new() { ["lines"] = "600", ["every_ms"] = "50" });
        await PutTargetAsync("it", "box", new { role = "box", kind = "host", host = "127.0.0.1", allowLoopback = true });
        var incident = await StartAsync("it-lines", "it");
        var runId = await RunAsync(incident, "run");
        var busy = await _client.GetFromJsonAsync<JsonElement>($"/api/incidents/{incident}");
        Assert.Equal(runId, busy.GetProperty("activeRunId").GetGuid());

        await using (var second = PortalHost.OnDatabase(_host.Database))
        {
            await second.InitializeAsync();
            using var client = second.CreateClient();
            // The run lives on the first portal; the second sees it running too.
            Assert.Equal(runId, (await client.GetFromJsonAsync<JsonElement>($"/api/incidents/{incident}")).GetProperty("activeRunId").GetGuid());
        }

        // Stop the run the way a portal shutdown would; its watcher may or may not get to record it.
        using (var cancel = await _client.DeleteAsync(new Uri($"/api/runs/{runId}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        }

        var state = await WaitForRunEndAsync(_client, incident, runId);
        var finished = Finished(state, "run");
        Assert.Equal("cancelled", finished.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, finished.GetProperty("verdict").ValueKind);
        Assert.Single(Timeline(state), e => e.Type == "probe_finished");
        Assert.Equal(JsonValueKind.Null, state.GetProperty("recommendation").ValueKind);
    }

    [Fact]
    public async Task ConcurrentReads_WhileTheWatcherRecords_RecordTheRunEndOnce()
    {
        await SaveRunbookAsync("it-lazy", "box", "test.lines", new() { ["lines"] = "3" });
        await PutTargetAsync("it", "box", new { role = "box", kind = "host", host = "127.0.0.1", allowLoopback = true });
        var incident = await StartAsync("it-lazy", "it");
        var runId = await RunAsync(incident, "run");

        // Read concurrently from many clients while the watcher records: exactly one probe_finished.
        var reads = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => WaitForRunEndAsync(_client, incident, runId)));

        var final = await _client.GetFromJsonAsync<JsonElement>($"/api/incidents/{incident}");
        Assert.Single(Timeline(final), e => e.Type == "probe_finished");
        Assert.Single(Timeline(final), e => e.Type == "recommendation");
        Assert.Equal("solution:ok", final.GetProperty("recommendation").GetProperty("target").GetProperty("reference").GetString());
        Assert.All(reads, r => Assert.Equal("pass", Finished(r, "run").GetProperty("verdict").GetString()));
    }

    [Fact]
    public async Task LazyCompletion_ARunThatEndedUnwatched_IsRecordedWithItsRecommendationOnTheNextRead()
    {
        await SaveRunbookAsync("it-unwatched", "box", "test.lines", new() { ["lines"] = "3" });
        await PutTargetAsync("it", "box", new { role = "box", kind = "host", host = "127.0.0.1", allowLoopback = true });
        var incident = await StartAsync("it-unwatched", "it");
        // A run no watcher knows about (as when the portal that started it went away), already finished.
        using var start = await _client.PostAsJsonAsync("/api/runs", new { kind = "test.lines", environment = "it", target = "box", parameters = new { lines = "3" } });
        var runId = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetGuid();
        while ((await _client.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}")).GetProperty("status").GetString() == "running")
        {
            await Task.Delay(20);
        }

        await _host.Services.GetRequiredService<IncidentStore>().ChangeAsync(incident, "test", _ => new IncidentChange(
            [new(IncidentEventTypes.ProbeStarted, new ProbeStartedPayload(runId, "run", "test.lines", "box", "box"))]), CancellationToken.None);

        var state = await _client.GetFromJsonAsync<JsonElement>($"/api/incidents/{incident}");

        Assert.Equal(["started", "step_entered", "probe_started", "probe_finished", "recommendation"], Timeline(state).Select(e => e.Type));
        Assert.Equal("pass", Finished(state, "run").GetProperty("verdict").GetString());
        Assert.Equal("solution:ok", state.GetProperty("recommendation").GetProperty("target").GetProperty("reference").GetString());
        var again = await _client.GetFromJsonAsync<JsonElement>($"/api/incidents/{incident}");
        Assert.Equal(5, again.GetProperty("timeline").GetArrayLength());
    }

    [Fact]
    public async Task Inputs_AreValidatedAgainstThePatternAndFeedLaterProbes()
    {
        var incident = await StartAsync("workflow-failure", "local");
        var state = await _client.GetFromJsonAsync<JsonElement>($"/api/incidents/{incident}");
        var inputStep = state.GetProperty("currentStep").GetProperty("id").GetString()!;
        var before = await EventCountAsync(incident);

        using var bad = await _client.PostAsJsonAsync($"/api/incidents/{incident}/inputs/{inputStep}", new { value = "wf 42; rm -rf /" });
        var problem = await bad.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("^[A-Za-z0-9_-]{1,64}$", problem.GetProperty("errors").GetProperty("value")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await EventCountAsync(incident));

        var good = await PostAsync($"/api/incidents/{incident}/inputs/{inputStep}", new { value = " wf-42 " });
        Assert.Equal("wf-42", good.GetProperty("inputs").GetProperty("workflow_id").GetString());
        Assert.Equal("wf-42", good.GetProperty("currentStep").GetProperty("input").GetProperty("value").GetString());
        Assert.Equal("status", good.GetProperty("recommendation").GetProperty("target").GetProperty("id").GetString());
    }

    [Fact]
    public async Task BadRequests_AreAnswered400WithAClearMessage_AndNothingIsRecorded()
    {
        await AssertProblemAsync(await _client.PostAsJsonAsync("/api/incidents", new { runbook = "no-such-runbook", environment = "it" }), "runbook", "no runbook 'no-such-runbook'");
        await AssertProblemAsync(await _client.PostAsJsonAsync("/api/incidents", new { runbook = "redis-connection", environment = "nowhere" }), "environment", "no environment 'nowhere'");
        await AssertProblemAsync(await _client.GetAsync(new Uri("/api/incidents?status=maybe", UriKind.Relative)), "status", "open, resolved, abandoned");
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM incidents"));

        var incident = await StartAsync("redis-connection", "it");
        var before = await EventCountAsync(incident);
        await AssertProblemAsync(await _client.PostAsync(new Uri($"/api/incidents/{incident}/steps/no-such-step/run", UriKind.Relative), null), "stepId", "no step 'no-such-step'");
        await AssertProblemAsync(await _client.PostAsync(new Uri($"/api/incidents/{incident}/steps/memory/run", UriKind.Relative), null), "stepId", "at 'ping', not at step 'memory'");
        await AssertProblemAsync(await _client.PostAsJsonAsync($"/api/incidents/{incident}/decisions", new { target = "solution:nope" }), "target", "not a step or solution");
        await AssertProblemAsync(await _client.PostAsJsonAsync($"/api/incidents/{incident}/notes", new { text = new string('x', 4001) }), "text", "at most 4000");
        await AssertProblemAsync(await _client.PostAsJsonAsync($"/api/incidents/{incident}/notes", new { text = "bell\u0007" }), "text", "U+0007");
        await AssertProblemAsync(await _client.PostAsJsonAsync($"/api/incidents/{incident}/notes", new { text = "  " }), "text", "required");
        await AssertProblemAsync(await _client.PostAsJsonAsync($"/api/incidents/{incident}/inputs/ping", new { value = "x" }), "stepId", "not an input step");
        Assert.Equal(before, await EventCountAsync(incident));

        await PostAsync($"/api/incidents/{incident}/abandon", new { summary = "opened by mistake" });
        var closed = await EventCountAsync(incident);
        await AssertProblemAsync(await _client.PostAsync(new Uri($"/api/incidents/{incident}/steps/ping/run", UriKind.Relative), null), "id", "is abandoned");
        await AssertProblemAsync(await _client.PostAsync(new Uri($"/api/incidents/{incident}/resolve", UriKind.Relative), null), "id", "is abandoned");
        Assert.Equal(closed, await EventCountAsync(incident));

        using var missing = await _client.GetAsync(new Uri($"/api/incidents/{Guid.NewGuid()}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Start_EnvironmentWithoutARole_WarnsAndRunningThatStepSaysWhatToAdd()
    {
        using var response = await _client.PostAsJsonAsync("/api/incidents", new { runbook = "database-connection", environment = "it" });
        var started = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Contains(started.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("role 'platform-db'", StringComparison.Ordinal));
        var state = await _client.GetFromJsonAsync<JsonElement>($"/api/incidents/{started.GetProperty("incidentId").GetGuid()}");
        Assert.Contains(state.GetProperty("unboundRoles").EnumerateArray(), r => r.GetString() == "platform-db");
        await AssertProblemAsync(
            await _client.PostAsync(new Uri($"/api/incidents/{started.GetProperty("incidentId").GetGuid()}/steps/test-connection/run", UriKind.Relative), null),
            "stepId", "PUT /api/environments/it/targets/{name} with role 'platform-db'");
    }

    [Fact]
    public async Task Timeline_IsAppendOnly_TheDatabaseRefusesUpdateDeleteAndTruncate()
    {
        var incident = await StartAsync("redis-connection", "it");

        foreach (var sql in new[]
        {
            "UPDATE incident_events SET actor = 'mallory' WHERE incident_id = @id",
            "DELETE FROM incident_events WHERE incident_id = @id",
            "TRUNCATE incident_events CASCADE",
        })
        {
            await using var command = _host.Database.DataSource.CreateCommand(sql);
            command.Parameters.AddWithValue("id", incident);
            var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
            Assert.Contains("append-only", error.MessageText, StringComparison.Ordinal);
        }

        Assert.Equal(2L, await EventCountAsync(incident));
    }

    [Fact]
    public async Task Checklist_TicksAreRecordedAndShownOnTheStep()
    {
        var incident = await StartAsync("data-recovery", "local");
        var state = await _client.GetFromJsonAsync<JsonElement>($"/api/incidents/{incident}");
        var step = state.GetProperty("currentStep");
        Assert.Equal(4, step.GetProperty("checklist").GetArrayLength());

        var stepId = step.GetProperty("id").GetString();
        using (var tick = await _client.PostAsJsonAsync($"/api/incidents/{incident}/checklist/{stepId}/0", new { done = true }))
        {
            Assert.Equal(HttpStatusCode.NoContent, tick.StatusCode);
        }

        var after = await _client.GetFromJsonAsync<JsonElement>($"/api/incidents/{incident}");
        Assert.True(after.GetProperty("currentStep").GetProperty("checklist")[0].GetProperty("done").GetBoolean());
        Assert.False(after.GetProperty("currentStep").GetProperty("checklist")[1].GetProperty("done").GetBoolean());
        await AssertProblemAsync(await _client.PostAsJsonAsync($"/api/incidents/{incident}/checklist/{stepId}/99", new { done = true }), "index", "checklist items");
    }

    [Fact]
    public async Task Notes_WrittenConcurrently_AllStoredWithGaplessSeqs()
    {
        var incident = await StartAsync("redis-connection", "it");

        var responses = await Task.WhenAll(Enumerable.Range(1, 25).Select(n =>
            _client.PostAsJsonAsync($"/api/incidents/{incident}/notes", new { text = $"note {n}\nsecond line" })));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        var state = await _client.GetFromJsonAsync<JsonElement>($"/api/incidents/{incident}");
        var seqs = state.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()).ToList();
        Assert.Equal(Enumerable.Range(1, 27).Select(i => (long)i), seqs);
        Assert.Equal(25, Timeline(state).Count(e => e.Type == "note" && e.Payload.GetProperty("text").GetString()!.EndsWith("\nsecond line", StringComparison.Ordinal)));
        foreach (var r in responses)
        {
            r.Dispose();
        }
    }

    private async Task<List<RunEvent>> StreamAsync(Guid runId)
    {
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(_host.BaseAddress, "/hubs/runs"), o => o.AccessTokenProvider = () => Task.FromResult(_host.AdminToken))
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

    internal static async Task<JsonElement> WaitForRunEndAsync(HttpClient client, Guid incident, Guid runId)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var state = await client.GetFromJsonAsync<JsonElement>($"/api/incidents/{incident}");
            if (Timeline(state).Any(e => e.Type == "probe_finished" && e.Payload.GetProperty("runId").GetGuid() == runId))
            {
                return state;
            }

            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"run {runId} did not finish in time");
            await Task.Delay(50);
        }
    }

    private static JsonElement Finished(JsonElement state, string stepId) =>
        Timeline(state).Last(e => e.Type == "probe_finished" && e.Payload.GetProperty("stepId").GetString() == stepId).Payload;

    private static List<(string Type, JsonElement Payload)> Timeline(JsonElement state) =>
        [.. state.GetProperty("timeline").EnumerateArray().Select(e => (e.GetProperty("type").GetString()!, e.GetProperty("payload")))];

    private async Task<Guid> StartAsync(string runbook, string environment)
    {
        using var response = await _client.PostAsJsonAsync("/api/incidents", new { runbook, environment });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body.GetRawText());
        var id = body.GetProperty("incidentId").GetGuid();
        Assert.Equal($"/incidents/{id}", body.GetProperty("url").GetString());
        return id;
    }

    private async Task<Guid> RunAsync(Guid incident, string stepId)
    {
        using var response = await _client.PostAsync(new Uri($"/api/incidents/{incident}/steps/{stepId}/run", UriKind.Relative), null);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body.GetRawText());
        return body.GetProperty("runId").GetGuid();
    }

    private async Task<JsonElement> PostAsync(string path, object body)
    {
        using var response = await _client.PostAsJsonAsync(path, body);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, json.GetRawText());
        return json;
    }

    private async Task PutTargetAsync(string environment, string name, object target)
    {
        using var put = await _client.PutAsJsonAsync($"/api/environments/{environment}/targets/{name}", target);
        Assert.True(put.StatusCode == HttpStatusCode.OK, await put.Content.ReadAsStringAsync());
    }

    private async Task SaveRunbookAsync(string slug, string role, string kind, Dictionary<string, string> parameters)
    {
        var content = new RunbookContent
        {
            Category = "common",
            Title = LocalizedText.Of("测试", "Test"),
            Steps =
            [
                new RunbookStep
                {
                    Id = "run", Kind = StepKind.Probe, Title = LocalizedText.Of("运行", "Run"),
                    Probe = new ProbeCall { Kind = kind, Target = role, Parameters = parameters },
                    Rules = [new BranchRule { When = "verdict == pass", Goto = "solution:ok", Reason = LocalizedText.Of("通过", "passed") }],
                },
            ],
            Solutions = [new RunbookSolution { Id = "ok", Title = LocalizedText.Of("好", "Fine") }],
        };
        await _host.Services.GetRequiredService<RunbookStore>().SaveAsync(slug, content, 0, "test", "", VersionSources.User);
    }

    private async Task<long> EventCountAsync(Guid incident)
    {
        await using var command = _host.Database.DataSource.CreateCommand("SELECT count(*) FROM incident_events WHERE incident_id = @id");
        command.Parameters.AddWithValue("id", incident);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var command = _host.Database.DataSource.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, string field, string message)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{response.StatusCode}: {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(body).RootElement;
            var text = problem.GetProperty("errors").GetProperty(field)[0].GetString()!;
            Assert.Contains(message, text, StringComparison.Ordinal);
        }
    }

    /// <summary>PORTAL_TEST_REDIS is "host:port,password=…".</summary>
    private static (string Host, int Port, string? Password) TestRedis()
    {
        var value = TestEnvironment.Redis ?? throw new InvalidOperationException("PORTAL_TEST_REDIS is not set; scripts/test.sh starts Redis for the tests.");
        var parts = value.Split(',');
        var endpoint = parts[0];
        var colon = endpoint.LastIndexOf(':');
        var password = parts.Skip(1).Select(p => p.Trim()).FirstOrDefault(p => p.StartsWith("password=", StringComparison.Ordinal))?["password=".Length..];
        return (endpoint[..colon], int.Parse(endpoint[(colon + 1)..], CultureInfo.InvariantCulture), password);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
