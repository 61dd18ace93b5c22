using System.Net.Http.Json;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Dapper;
using Npgsql;
using Portal.Testing;

namespace Portal.IntegrationTests.Resilience;

/// <summary>The portal process is killed (SIGKILL) in the middle of a probe run of a walkthrough, then started again.</summary>
public sealed class PortalKillTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new();
    private readonly string _data = Directory.CreateTempSubdirectory("portal-kill-").FullName;
    private TcpListener _silent = null!;

    public async Task InitializeAsync()
    {
        await _db.InitializeAsync();
        // A "Redis" that accepts connections and never answers: the probe is still running when the portal dies.
        _silent = new TcpListener(IPAddress.Loopback, 0);
        _silent.Start();
    }

    public async Task DisposeAsync()
    {
        _silent.Stop();
        await _db.DisposeAsync();
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task PortalKilledMidRun_RunIsRecordedInterrupted_AndTheIncidentGoesOnAfterARestart()
    {
        var password = "kill-test-admin-pw";
        Guid incident;
        Guid runId;
        await using (var first = Portal("first", password))
        {
            await first.StartAsync(TimeSpan.FromSeconds(60));
            using var client = await first.SignInAsync("admin", password);
            using (var put = await client.PutAsJsonAsync("/api/environments/local/targets/platform-redis", new
            {
                role = "platform-redis", kind = "redis", host = "127.0.0.1", port = ((IPEndPoint)_silent.LocalEndpoint).Port, allowLoopback = true,
            }))
            {
                Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
            }

            incident = await Faults.StartIncidentAsync(client);
            runId = (await Faults.PostOkAsync(client, $"/api/incidents/{incident}/steps/ping/run", new { })).GetProperty("runId").GetGuid();
            await first.KillAsync();
        }

        await using var db = new NpgsqlConnection(_db.ConnectionString);
        Assert.Equal("running", await db.ExecuteScalarAsync<string>("SELECT status FROM probe_runs WHERE id = @runId", new { runId }));

        await using var second = Portal("second", password);
        await second.StartAsync(TimeSpan.FromSeconds(60));
        using var again = await second.SignInAsync("admin", password);
        var state = await Faults.WaitForRunRecordedAsync(again, incident, runId, TimeSpan.FromSeconds(30));

        Assert.Equal("interrupted", await db.ExecuteScalarAsync<string>("SELECT status FROM probe_runs WHERE id = @runId", new { runId }));
        var finished = Faults.Timeline(state).Single(e => e.Type == "probe_finished").Payload;
        Assert.Equal("interrupted", finished.GetProperty("status").GetString());
        Assert.Equal("open", state.GetProperty("incident").GetProperty("status").GetString());

        // The incident goes on: the same step runs again on the new process and its end is recorded.
        var rerun = (await Faults.PostOkAsync(again, $"/api/incidents/{incident}/steps/ping/run", new { })).GetProperty("runId").GetGuid();
        var resumed = await Faults.WaitForRunRecordedAsync(again, incident, rerun, TimeSpan.FromSeconds(30));
        var last = Faults.Timeline(resumed).Last(e => e.Type == "probe_finished").Payload;
        Assert.Equal(rerun, last.GetProperty("runId").GetGuid());
        Assert.Equal("fail", last.GetProperty("verdict").GetString());
    }

    private PortalProcess Portal(string name, string password)
    {
        var portal = new PortalProcess(_db.ConnectionString, Path.Combine(_data, name), password);
        portal.Environment["Portal__Resilience__HeartbeatInterval"] = "00:00:01";
        portal.Environment["Portal__Resilience__InstanceSilence"] = "00:00:03";
        return portal;
    }
}
