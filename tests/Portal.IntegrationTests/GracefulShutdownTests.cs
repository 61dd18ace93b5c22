using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Portal.Probes.Contract;
using Portal.Testing;

namespace Portal.IntegrationTests;

/// <summary>Stopping the host cancels running probes and records them as cancelled, with every event stored and nothing half-written.</summary>
public sealed class GracefulShutdownTests : IAsyncLifetime
{
    private readonly TestDatabase _database = new();

    public Task InitializeAsync() => _database.InitializeAsync();

    public Task DisposeAsync() => _database.DisposeAsync();

    [Fact]
    public async Task HostStops_MidRun_RunIsCancelledAndItsEventsAreCompleteAndGapless()
    {
        var host = PortalHost.OnDatabase(_database);
        host.ConfigureServices = s => s.AddSingleton<IProbe, LinesProbe>();
        await host.InitializeAsync();
        Guid runId;
        using (var client = host.CreateClient())
        {
            var runs = new RunsClient(host, client);
            await runs.PutTargetAsync("stop", "box", new { role = "box", kind = "host", host = "127.0.0.1", allowLoopback = true });
            runId = await runs.StartAsync("test.lines", "stop", "box", new { lines = "100000", every_ms = "10" }, timeoutSeconds: 120);
            await WaitUntilAsync(async () => await ScalarAsync<long>("SELECT count(*) FROM probe_run_events WHERE run_id = @id", runId) > 20);
        }

        await host.DisposeAsync();

        await using (var row = _database.DataSource.CreateCommand("SELECT status, summary, finished_at IS NOT NULL FROM probe_runs WHERE id = @id"))
        {
            row.Parameters.AddWithValue("id", runId);
            await using var reader = await row.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal("cancelled", reader.GetString(0));
            Assert.Equal("Cancelled: the portal is shutting down.", reader.GetString(1));
            Assert.True(reader.GetBoolean(2));
        }

        var seqs = new List<long>();
        var payloads = new List<JsonElement>();
        await using (var events = _database.DataSource.CreateCommand("SELECT seq, payload::text FROM probe_run_events WHERE run_id = @id ORDER BY seq"))
        {
            events.Parameters.AddWithValue("id", runId);
            await using var reader = await events.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                seqs.Add(reader.GetInt64(0));
                payloads.Add(JsonDocument.Parse(reader.GetString(1)).RootElement.Clone());
            }
        }

        Assert.Equal(Enumerable.Range(1, seqs.Count).Select(i => (long)i), seqs);
        var last = payloads[^1];
        Assert.Equal("status", last.GetProperty("type").GetString());
        Assert.Equal("finished", last.GetProperty("key").GetString());
        Assert.Equal("cancelled", last.GetProperty("value").GetString());
        Assert.Single(payloads, p => p.GetProperty("type").GetString() == "status" && p.GetProperty("key").GetString() == "finished");
    }

    private async Task<T> ScalarAsync<T>(string sql, Guid id)
    {
        await using var command = _database.DataSource.CreateCommand(sql);
        command.Parameters.AddWithValue("id", id);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            await Task.Delay(50, deadline.Token);
        }
    }
}
