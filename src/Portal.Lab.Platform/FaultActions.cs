using System.Diagnostics;
using Npgsql;

namespace Portal.Lab.Platform;

/// <summary>What the in-process faults do while on: hold connections, memory or a CPU core.</summary>
public sealed partial class FaultActions(LabOptions options, ILogger<FaultActions> logger) : IDisposable
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
    /// cpu-burn: two spinning threads until healed. As root the whole process runs at nice -20 meanwhile, so
    /// the fault shows (over 80 % of a core) on a machine other work keeps busy, while the process's own
    /// threads (its /health among them) still get their turn; the lab heals it within seconds.
    /// </summary>
    public void Burn()
    {
        var cts = new CancellationTokenSource();
        if (Interlocked.CompareExchange(ref _burn, cts, null) is not null)
        {
            cts.Dispose();
            return;
        }

        Renice(-20);
        for (var n = 0; n < 2; n++)
        {
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
    }

    public void StopBurn()
    {
        if (Interlocked.Exchange(ref _burn, null) is { } burn)
        {
            burn.Cancel();
            Renice(0);
        }
    }

    /// <summary>Sets every thread's nice value (threads started later inherit it); refused, and so a no-op, unless root.</summary>
    private static void Renice(int nice)
    {
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            if (int.TryParse(Path.GetFileName(task), out var tid))
            {
                _ = Native.setpriority(0, tid, nice);
            }
        }
    }

    public void Dispose()
    {
        StopBurn();
        ReleasePoolAsync().GetAwaiter().GetResult();
    }

    private static partial class Native
    {
        [System.Runtime.InteropServices.LibraryImport("libc", SetLastError = true)]
        public static partial int setpriority(int which, int who, int priority);
    }
}
