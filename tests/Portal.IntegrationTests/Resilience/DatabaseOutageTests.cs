using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Probes.Contract;
using Portal.Testing;
using Portal.Testing.Servers;
using Portal.Web.Resilience;
using Portal.Web.Runs;

namespace Portal.IntegrationTests.Resilience;

/// <summary>
/// The portal's own PostgreSQL stops in the middle of a walkthrough (a private server, really stopped and
/// started again): pages and probes go on, writes are journaled and reach the database once it is back.
/// </summary>
public sealed class DatabaseOutageTests : IAsyncLifetime
{
    private readonly PrivatePostgres _pg = new();
    private TestDatabase _db = null!;
    private PortalHost _host = null!;

    public async Task InitializeAsync()
    {
        await _pg.InitializeAsync();
        _db = TestDatabase.On(_pg.ConnectionString());
        await _db.InitializeAsync();
        _host = PortalHost.OnDatabase(_db);
        _host.ConfigureServices = s => s.AddSingleton<IProbe, LinesProbe>();
        await _host.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        if (!_pg.IsRunning)
        {
            await _pg.StartAsync();
        }

        await _db.DisposeAsync();
        await _pg.DisposeAsync();
    }

    [Fact]
    public async Task DatabaseStopped_MidWalkthrough_PagesProbesAndNotesGoOn_EverythingReachesTheDatabaseOnceAfterRestart()
    {
        var state = _host.Services.GetRequiredService<PortalDegradedState>();
        using var client = _host.CreateClient();
        var incident = await Faults.StartIncidentAsync(client);
        // Before the outage: one probe step, so this instance knows the incident and its target.
        var before = await Faults.PostOkAsync(client, $"/api/incidents/{incident}/steps/ping/run", new { });
        await Faults.WaitForRunRecordedAsync(client, incident, before.GetProperty("runId").GetGuid(), TimeSpan.FromSeconds(30));
        await Faults.WaitUntilAsync(() => File.Exists(Path.Combine(_host.Services.GetRequiredService<ResilienceOptions>().SnapshotPath)),
            TimeSpan.FromSeconds(10), "the runbook snapshot");

        await _pg.StopAsync();
        var detected = await Faults.WaitUntilAsync(() => state.DatabaseDown, TimeSpan.FromSeconds(5), "entering degraded mode");

        // Pages and the API read the snapshot.
        var runbooks = await client.GetFromJsonAsync<JsonElement>("/api/runbooks");
        Assert.True(runbooks.GetArrayLength() > 10);
        var runbook = await client.GetFromJsonAsync<JsonElement>("/api/runbooks/redis-connection");
        Assert.Equal("redis-connection", runbook.GetProperty("slug").GetString());

        // Notes typed meanwhile, a probe step of the walkthrough, a probe run by hand: all go on.
        var notes = Enumerable.Range(1, 5).Select(i => $"note {i} during the outage").ToList();
        foreach (var note in notes)
        {
            await Faults.PostOkAsync(client, $"/api/incidents/{incident}/notes", new { text = note });
        }

        var stepRun = (await Faults.PostOkAsync(client, $"/api/incidents/{incident}/steps/ping/run", new { })).GetProperty("runId").GetGuid();
        var during = await Faults.WaitForRunRecordedAsync(client, incident, stepRun, TimeSpan.FromSeconds(30));
        Assert.Equal(notes, Faults.Timeline(during).Where(e => e.Type == "note").Select(e => e.Payload.GetProperty("text").GetString()));
        var manual = await Faults.StartRunAsync(client, "platform-redis", 30, 10);
        var streamed = await Faults.StreamAsync(_host, manual);
        Assert.Equal(Enumerable.Range(1, streamed.Count).Select(i => (long)i), streamed.Select(e => e.Seq));
        Assert.Contains(streamed, e => e.Type == RunEventTypes.Verdict && e.Value == "pass");

        // Edits are refused, with the reason.
        using var edit = await client.PutAsJsonAsync("/api/environments/local/targets/extra",
            new { role = "extra", kind = "redis", host = "127.0.0.1", port = 6390, allowLoopback = true });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, edit.StatusCode);
        Assert.Contains("database is down", await edit.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(state.PendingJournalEntries > 0);

        await _pg.StartAsync();
        var recovered = await Faults.WaitUntilAsync(() => !state.DatabaseDown, TimeSpan.FromSeconds(10), "leaving degraded mode");
        Assert.Equal(0, state.PendingJournalEntries);

        await using var db = new NpgsqlConnection(_db.ConnectionString + ";Pooling=false");
        var storedNotes = await db.QueryAsync<string>(
            "SELECT payload ->> 'text' FROM incident_events WHERE incident_id = @incident AND type = 'note' ORDER BY seq", new { incident });
        Assert.Equal(notes, storedNotes);
        var stepEvents = await db.QueryAsync<string>(
            "SELECT type FROM incident_events WHERE incident_id = @incident AND payload ->> 'runId' = @run ORDER BY seq", new { incident, run = stepRun.ToString() });
        Assert.Equal(["probe_started", "probe_finished", "recommendation"], stepEvents);
        var seqs = (await db.QueryAsync<long>("SELECT seq FROM incident_events WHERE incident_id = @incident ORDER BY seq", new { incident })).ToList();
        Assert.Equal(Enumerable.Range(1, seqs.Count).Select(i => (long)i), seqs);
        Assert.Equal("pass", await db.ExecuteScalarAsync<string>("SELECT status FROM probe_runs WHERE id = @manual", new { manual }));
        Assert.Equal(streamed.Count, await db.ExecuteScalarAsync<long>("SELECT count(*) FROM probe_run_events WHERE run_id = @manual", new { manual }));
        Assert.Equal(2, await db.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM audit_log WHERE action = 'probe.run' AND details ->> 'runId' IN (@a, @b)", new { a = stepRun.ToString(), b = manual.ToString() }));

        // The API reads the database again, and sees the same walkthrough.
        var after = await client.GetFromJsonAsync<JsonElement>($"/api/incidents/{incident}");
        Assert.Equal(notes, Faults.Timeline(after).Where(e => e.Type == "note").Select(e => e.Payload.GetProperty("text").GetString()));
        Console.WriteLine($"degraded mode entered after {detected.TotalSeconds:0.00} s, left after {recovered.TotalSeconds:0.00} s");
    }

    [Fact]
    public async Task Replay_CrashBeforeTheJournalIsEmptied_AppliesEveryEntryExactlyOnce()
    {
        var state = _host.Services.GetRequiredService<PortalDegradedState>();
        var options = _host.Services.GetRequiredService<ResilienceOptions>();
        using var client = _host.CreateClient();
        var incident = await Faults.StartIncidentAsync(client);
        await client.GetFromJsonAsync<JsonElement>($"/api/incidents/{incident}");

        await _pg.StopAsync();
        await Faults.WaitUntilAsync(() => state.DatabaseDown, TimeSpan.FromSeconds(5), "entering degraded mode");
        foreach (var i in Enumerable.Range(1, 3))
        {
            await Faults.PostOkAsync(client, $"/api/incidents/{incident}/notes", new { text = $"kept {i}" });
        }

        // A copy of the journal as it was before the replay: what a crash between applying and emptying leaves.
        var journal = await File.ReadAllBytesAsync(options.JournalPath);
        await _pg.StartAsync();
        await Faults.WaitUntilAsync(() => !state.DatabaseDown, TimeSpan.FromSeconds(10), "leaving degraded mode");
        await File.WriteAllBytesAsync(options.JournalPath, journal);

        var replayed = await _host.Services.GetRequiredService<JournalReplayer>().ReplayAsync(CancellationToken.None);

        Assert.True(replayed >= 3);
        await using var db = new NpgsqlConnection(_db.ConnectionString + ";Pooling=false");
        var stored = await db.QueryAsync<string>(
            "SELECT payload ->> 'text' FROM incident_events WHERE incident_id = @incident AND type = 'note' ORDER BY seq", new { incident });
        Assert.Equal(["kept 1", "kept 2", "kept 3"], stored);
        Assert.Equal(0L, new FileInfo(options.JournalPath).Length);
    }
}
