using System.Diagnostics;
using Npgsql;

namespace Portal.Lab.Platform;

/// <summary>What the in-process faults do while on: hold connections, memory or a CPU core.</summary>
public sealed class FaultActions(LabOptions options, ILogger<FaultActions> logger) : IDisposable
{
    private readonly List<NpgsqlConnection> _held = [];
    private readonly List<byte[]> _ballast = [];
    private readonly Lock _gate = new();
    private CancellationTokenSource? _burn;

    /// <summary>pg-pool: opens connections as the platform user until PostgreSQL refuses more (53300), and holds them.</summary>
    public async Task ExhaustPoolAsync(CancellationToken ct)
    {
        var builder = new NpgsqlConnectionStringBuilder(options.Postgres) { Pooling = false, Timeout = 5 };
        for (var i = 0; i < 500; i++)
        {
            var connection = new NpgsqlConnection(builder.ConnectionString);
            try
            {
                await connection.OpenAsync(ct);
            }
            catch (PostgresException ex) when (ex.SqlState is "53300" or "53400")
            {
                await connection.DisposeAsync();
                logger.LogInformation("pg-pool: PostgreSQL refuses connection {Count} ({SqlState})", i + 1, ex.SqlState);
                return;
            }

            lock (_gate)
            {
                _held.Add(connection);
            }
        }
    }

    public async Task ReleasePoolAsync()
    {
        List<NpgsqlConnection> held;
        lock (_gate)
        {
            held = [.. _held];
            _held.Clear();
        }

        foreach (var connection in held)
        {
            await connection.DisposeAsync();
        }
    }

    /// <summary>memory-pressure: allocates and touches memory until the process uses 92 % of its limit.</summary>
    public void FillMemory()
    {
        var target = options.MemoryLimitMb * 1024L * 1024 * 92 / 100;
        lock (_gate)
        {
            while (Process.GetCurrentProcess().WorkingSet64 < target && _ballast.Count < 256)
            {
                var chunk = new byte[8 * 1024 * 1024];
                for (var i = 0; i < chunk.Length; i += 4096)
                {
                    chunk[i] = 1; // touch every page so it is resident, not just reserved
                }

                _ballast.Add(chunk);
            }
        }
    }

    public void ReleaseMemory()
    {
        lock (_gate)
        {
            _ballast.Clear();
        }

        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    /// <summary>
    /// cpu-burn: a hot loop on one thread until healed (one: the lab must not starve a shared machine).
    /// /health sees it as a thread that wants a core all the time, however little of one it gets.
    /// </summary>
    public void Burn()
    {
        var cts = new CancellationTokenSource();
        if (Interlocked.CompareExchange(ref _burn, cts, null) is not null)
        {
            cts.Dispose();
            return;
        }

        new Thread(() =>
        {
            var x = 0UL;
            while (!cts.IsCancellationRequested)
            {
                x = (x * 6364136223846793005UL) + 1442695040888963407UL;
            }

            GC.KeepAlive(x);
        }) { IsBackground = true, Name = "cpu-burn" }.Start();
    }

    public void StopBurn() => Interlocked.Exchange(ref _burn, null)?.Cancel();

    public void Dispose()
    {
        StopBurn();
        ReleasePoolAsync().GetAwaiter().GetResult();
    }
}
