using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Probes.Contract;
using Portal.Testing;
using Portal.Web.Runs;

namespace Portal.IntegrationTests;

/// <summary>The runner, the runs API and the /hubs/runs hub on a real host and a real PostgreSQL.</summary>
public sealed class ProbeRunTests : IAsyncLifetime
{
    private const string Password = "pl4nted-Secret-9x";
    private readonly PortalHost _host = new() { ConfigureServices = s => s.AddSingleton<IProbe, LinesProbe>() };
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _host.Settings["Portal:Runner:HeadLines"] = "1000";
        _host.Settings["Portal:Runner:TailLines"] = "50";
        await _host.InitializeAsync();
        _client = _host.CreateClient();
        using var put = await _client.PutAsJsonAsync("/api/environments/test/targets/box", new
        {
            role = "box", kind = "host", host = "127.0.0.1", password = Password, allowLoopback = true,
        });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    private async Task<Guid> StartAsync(string kind, object parameters, string target = "box")
    {
        using var response = await _client.PostAsJsonAsync("/api/runs", new { kind, environment = "test", target, parameters });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetGuid();
    }

    private async Task<JsonElement> WaitFinishedAsync(Guid runId)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var _ in _host.Services.GetRequiredService<RunStream>().ReadAsync(runId, 0, TimeSpan.Zero, deadline.Token))
        {
        }

        // The run row is updated right after the last event is stored.
        while (true)
        {
            var run = await _client.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}", deadline.Token);
            if (run.GetProperty("status").GetString() != "running")
            {
                return run;
            }

            await Task.Delay(20, deadline.Token);
        }
    }

    [Fact]
    public async Task TcpConnect_ThroughTheApi_StoresVerdictFindingsAndOutput()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var run = await WaitFinishedAsync(await StartAsync("tcp.connect", new { port = port.ToString(System.Globalization.CultureInfo.InvariantCulture) }));

        Assert.Equal("pass", run.GetProperty("status").GetString());
        Assert.Equal("pass", run.GetProperty("verdict").GetProperty("status").GetString());
        Assert.Equal("1", run.GetProperty("findings").GetProperty("tcp.connected").GetString());
        Assert.Contains(run.GetProperty("output").EnumerateArray(), l => l.GetProperty("text").GetString()!.Contains("connected", StringComparison.Ordinal));
        Assert.Contains(run.GetProperty("metrics").EnumerateArray(), m => m.GetProperty("name").GetString() == "connect_ms");
    }

    [Theory]
    [InlineData("no.such.probe", "box", "kind")]
    [InlineData("tcp.connect", "no-such-target", "target")]
    public async Task Start_UnknownKindOrTarget_IsRefusedWithAFieldError(string kind, string target, string field)
    {
        using var response = await _client.PostAsJsonAsync("/api/runs", new { kind, environment = "test", target });
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task Start_BadParameter_IsRefusedAndNothingRuns()
    {
        using var response = await _client.PostAsJsonAsync("/api/runs", new
        {
            kind = "tcp.connect", environment = "test", target = "box", parameters = new { port = "22; reboot" },
        });
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("whole number", problem.GetProperty("errors").GetProperty("port")[0].GetString(), StringComparison.Ordinal);
        await using var count = _host.Database.DataSource.CreateCommand("SELECT count(*) FROM probe_runs WHERE kind = 'tcp.connect' AND parameters->>'port' LIKE '%reboot%'");
        Assert.Equal(0L, (long)(await count.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Secrets_PlantedInOutputAndParameters_NeverReachApiHubOrDatabase()
    {
        var runId = await StartAsync("test.lines", new { lines = "3", api_key = "k3y-SHOULD-not-leak" });
        var run = await WaitFinishedAsync(runId);
        var hubText = JsonSerializer.Serialize(await CollectViaHubAsync(runId, 0));

        await using var dump = _host.Database.DataSource.CreateCommand(
            "SELECT coalesce(string_agg(payload::text, ''), '') || (SELECT parameters::text || findings::text || summary FROM probe_runs WHERE id = @id) FROM probe_run_events WHERE run_id = @id");
        dump.Parameters.AddWithValue("id", runId);
        var stored = (string)(await dump.ExecuteScalarAsync())!;
        await using var raw = _host.Database.DataSource.CreateCommand("SELECT count(*) FROM targets WHERE password_protected LIKE '%' || @p || '%'");
        raw.Parameters.AddWithValue("p", Password);

        foreach (var text in new[] { run.GetRawText(), hubText, stored })
        {
            Assert.DoesNotContain(Password, text, StringComparison.Ordinal);
            Assert.DoesNotContain("k3y-SHOULD-not-leak", text, StringComparison.Ordinal);
        }

        Assert.Contains("***", run.GetRawText(), StringComparison.Ordinal);
        Assert.Equal(0L, (long)(await raw.ExecuteScalarAsync())!);
        var targets = await _client.GetStringAsync(new Uri("/api/environments/test/targets", UriKind.Relative));
        Assert.DoesNotContain(Password, targets, StringComparison.Ordinal);
        Assert.Contains("\"hasPassword\":true", targets, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hub_TwentySubscribers_SeeIdenticalGaplessSequences()
    {
        var runId = await StartAsync("test.lines", new { lines = "200", every_ms = "2" });

        var all = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => CollectViaHubAsync(runId, 0)));

        var reference = all[0].Select(e => (e.Seq, e.Type, e.Text)).ToList();
        Assert.Equal(Enumerable.Range(1, reference.Count).Select(i => (long)i), reference.Select(r => r.Seq));
        Assert.All(all, events => Assert.Equal(reference, events.Select(e => (e.Seq, e.Type, e.Text))));
        Assert.Equal(200, all[0].Count(e => e.Type == RunEventTypes.Output && e.Text!.StartsWith("line ", StringComparison.Ordinal)));
        Assert.True(all[0][^1].IsTerminal);
    }

    [Fact]
    public async Task Hub_ReconnectFromSeq_HasNoGapAndNoDuplicate()
    {
        var runId = await StartAsync("test.lines", new { lines = "300", every_ms = "1" });
        var first = await CollectViaHubAsync(runId, 0, stopAfter: 50);
        var resumeFrom = first[^1].Seq;

        var rest = await CollectViaHubAsync(runId, resumeFrom);

        var seqs = first.Concat(rest).Select(e => e.Seq).ToList();
        Assert.Equal(Enumerable.Range(1, seqs.Count).Select(i => (long)i), seqs);
        Assert.True(rest[^1].IsTerminal);
    }

    [Fact]
    public async Task Hub_LateSubscriberAfterTheRunEnded_GetsTheWholeHistoryFromTheDatabase()
    {
        var runId = await StartAsync("test.lines", new { lines = "20" });
        await WaitFinishedAsync(runId);

        // Forget the live feed, as after a restart: the hub must replay from PostgreSQL.
        var late = await CollectViaHubAsync(runId, 0);

        Assert.Equal(20, late.Count(e => e.Type == RunEventTypes.Output && e.Text!.StartsWith("line ", StringComparison.Ordinal)));
        Assert.True(late[^1].IsTerminal);
    }

    [Fact]
    public async Task OutputLimit_KeepsHeadAndTailAndSaysHowManyWereDropped()
    {
        var runId = await StartAsync("test.lines", new { lines = "5000" });
        var run = await WaitFinishedAsync(runId);

        var output = run.GetProperty("output").EnumerateArray().Select(l => l.GetProperty("text").GetString()).ToList();
        Assert.Contains("line 999", output);
        Assert.DoesNotContain("line 2500", output);
        Assert.Contains("line 5000", output);
        Assert.Equal(5000 + 1 - 1000 - 50, run.GetProperty("droppedLines").GetInt32());
        Assert.Equal("pass", run.GetProperty("status").GetString());

        // Said once, with the tail that follows (the verdict and the end both flush; only the first has news).
        var events = await CollectViaHubAsync(runId, 0);
        var dropped = Assert.Single(events, e => e.Type == RunEventTypes.Status && e.Key == "dropped");
        Assert.Equal("3951 lines dropped (output limit 1000 lines); the last 50 lines follow.", dropped.Text);
    }

    [Fact]
    public async Task Cancel_ARunningProbe_IsRecordedAsCancelled()
    {
        var runId = await StartAsync("test.lines", new { lines = "100000", every_ms = "10" });
        using var cancel = await _client.DeleteAsync(new Uri($"/api/runs/{runId}", UriKind.Relative));

        var run = await WaitFinishedAsync(runId);

        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        Assert.Equal("cancelled", run.GetProperty("status").GetString());
        Assert.Contains("Cancelled", run.GetProperty("summary").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Timeout_IsRecordedAsTimeoutWithTheLimit()
    {
        using var response = await _client.PostAsJsonAsync("/api/runs", new
        {
            kind = "test.lines", environment = "test", target = "box", timeoutSeconds = 1, parameters = new { lines = "100000", every_ms = "10" },
        });
        var runId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetGuid();

        var run = await WaitFinishedAsync(runId);

        Assert.Equal("timeout", run.GetProperty("status").GetString());
        Assert.Contains("1 s", run.GetProperty("summary").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeWithoutVerdict_EndsAsErrorSayingSo()
    {
        var run = await WaitFinishedAsync(await StartAsync("test.lines", new { lines = "1", no_verdict = "true" }));

        Assert.Equal("error", run.GetProperty("status").GetString());
        Assert.Contains("without a verdict", run.GetProperty("summary").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbesCatalog_ListsKindsWithParameterSchemas()
    {
        var probes = await _client.GetFromJsonAsync<JsonElement>("/api/probes");

        var tcp = probes.EnumerateArray().Single(p => p.GetProperty("kind").GetString() == "tcp.connect");
        Assert.Contains(tcp.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "port" && p.GetProperty("max").GetInt64() == 65535);
        var lines = probes.EnumerateArray().Single(p => p.GetProperty("kind").GetString() == "test.lines");
        Assert.True(lines.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "api_key").GetProperty("secret").GetBoolean());
    }

    private async Task<List<RunEvent>> CollectViaHubAsync(Guid runId, long fromSeq, int? stopAfter = null)
    {
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(_host.BaseAddress, "/hubs/runs"), o => o.AccessTokenProvider = () => Task.FromResult(_host.AdminToken))
            .Build();
        await connection.StartAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var events = new List<RunEvent>();
        await foreach (var batch in connection.StreamAsync<List<RunEvent>>("StreamRun", runId, fromSeq, deadline.Token))
        {
            events.AddRange(batch);
            if (events.Count >= stopAfter)
            {
                return events;
            }
        }

        return events;
    }
}
