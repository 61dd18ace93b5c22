using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Npgsql;
using StackExchange.Redis;

namespace Portal.Lab.Platform;

/// <summary>
/// /health: {"status", "checks": {name: {"status", "detail"}}}, each check against the real dependency with
/// a one-second limit. 503 when anything is unhealthy. fine-tuning-service's own state is "model"; its
/// dependencies only make it degraded, so a database fault does not look like a broken component.
/// </summary>
public sealed class PlatformHealth(
    LabOptions options, Faults faults, PlatformDatabase database, CpuSampler cpu, IHttpClientFactory http)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(1);
    private readonly Lazy<Task<ConnectionMultiplexer>> _redis = new(() => ConnectRedisAsync(options.Redis));

    public const string BrokenHost = "fine-tuning-service.lab.invalid";

    /// <summary>Where platform-api reaches fine-tuning-service; under dns-failure a name that resolves nowhere.</summary>
    public Uri FineTuningUri =>
        faults.IsOn("dns-failure") && Uri.TryCreate(options.FineTuningUrl, UriKind.Absolute, out var u)
            ? new UriBuilder(u) { Host = BrokenHost }.Uri
            : new Uri(options.FineTuningUrl);

    public async Task<(int Code, object Body)> CheckAsync(CancellationToken ct)
    {
        // All at once: /health answers within about a second even when several dependencies hang.
        var pending = new Dictionary<string, Task<object>>
        {
            ["postgres"] = Run(PostgresAsync, ct),
            ["redis"] = Run(RedisAsync, ct),
        };
        if (options.IsApi)
        {
            pending["dns"] = Run(DnsAsync, ct);
            pending["fine-tuning-service"] = Run(FineTuningAsync, ct);
            pending["workflows"] = Run(WorkflowsAsync, ct);
        }

        await Task.WhenAll(pending.Values);
        var checks = pending.ToDictionary(p => p.Key, p => p.Value.Result);
        checks["memory"] = Memory();
        checks["cpu"] = Cpu();
        if (!options.IsApi)
        {
            checks["model"] = faults.IsOn("component-unhealthy")
                ? Entry("unhealthy", "model server crashed: worker exited with code 137")
                : Entry("healthy", "model loaded");
        }

        var statuses = checks.Values.Select(c => (string)c.GetType().GetProperty("status")!.GetValue(c)!).ToList();
        string overall;
        if (options.IsApi)
        {
            overall = statuses.Contains("unhealthy") ? "unhealthy" : "healthy";
        }
        else
        {
            overall = faults.IsOn("component-unhealthy") ? "unhealthy" : statuses.Contains("unhealthy") ? "degraded" : "healthy";
        }

        return (overall == "unhealthy" ? 503 : 200, new { status = overall, service = options.Role, checks });
    }

    private static async Task<object> Run(Func<CancellationToken, Task<object>> check, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(Limit);
        try
        {
            return await check(limit.Token).WaitAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return Entry("unhealthy", "timed out after 1 s");
        }
        catch (Exception ex) when (ex is NpgsqlException or RedisException or HttpRequestException or System.Net.Sockets.SocketException or JsonException or TimeoutException)
        {
            return Entry("unhealthy", ex.Message);
        }
    }

    private async Task<object> PostgresAsync(CancellationToken ct)
    {
        // No pooling: a fresh connection, so an exhausted server or a changed password shows at once.
        var builder = new NpgsqlConnectionStringBuilder(options.Postgres) { Pooling = false, Timeout = 1 };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("SELECT 1", connection);
        await command.ExecuteScalarAsync(ct);
        return Entry("healthy", "SELECT 1 ok");
    }

    private async Task<object> RedisAsync(CancellationToken ct)
    {
        var redis = await _redis.Value.WaitAsync(ct);
        var db = redis.GetDatabase();
        // A write, not just PING: a Redis at maxmemory answers PING but refuses writes.
        await db.StringSetAsync($"platform:health:{options.Role}", DateTimeOffset.UtcNow.ToUnixTimeSeconds(), TimeSpan.FromMinutes(5)).WaitAsync(ct);
        return Entry("healthy", "SET ok");
    }

    private async Task<object> DnsAsync(CancellationToken ct)
    {
        var host = FineTuningUri.Host;
        var addresses = await Dns.GetHostAddressesAsync(host, ct);
        return addresses.Length > 0 ? Entry("healthy", $"{host} -> {addresses[0]}") : Entry("unhealthy", $"{host}: no addresses");
    }

    private async Task<object> FineTuningAsync(CancellationToken ct)
    {
        using var response = await http.CreateClient("lab").GetAsync(new Uri(FineTuningUri, "/health"), ct);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        var status = body.TryGetProperty("status", out var s) ? s.GetString() ?? "unknown" : "unknown";
        return Entry(status == "unhealthy" ? "unhealthy" : "healthy", $"HTTP {(int)response.StatusCode}, {status}");
    }

    private async Task<object> WorkflowsAsync(CancellationToken ct)
    {
        var failed = await database.FailedWorkflowsAsync(ct);
        return failed > 0 ? Entry("unhealthy", $"{failed} failed workflow(s)") : Entry("healthy", "no failed workflows");
    }

    private object Memory()
    {
        var used = Process.GetCurrentProcess().WorkingSet64;
        var pct = used * 100.0 / (options.MemoryLimitMb * 1024.0 * 1024);
        return Entry(pct > 85 ? "unhealthy" : "healthy", $"{used / 1024 / 1024} MB of {options.MemoryLimitMb} MB ({pct:0} %)");
    }

    private object Cpu() => Entry(cpu.IsBusy ? "unhealthy" : "healthy",
        $"{cpu.Percent:0} % of a core used; the busiest thread wanted a core {cpu.BusiestThread * 100:0} % of the last second");

    private static object Entry(string status, string detail) => new { status, detail };

    private static async Task<ConnectionMultiplexer> ConnectRedisAsync(string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = 1000;
        options.SyncTimeout = 1000;
        options.AsyncTimeout = 1000;
        return await ConnectionMultiplexer.ConnectAsync(options);
    }
}
