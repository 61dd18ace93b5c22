using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Portal.Probes.Contract;

namespace Portal.Probes.Ssh;

/// <summary>
/// One SSH connection per target (per host, port, user, key and pinned fingerprint), shared by every
/// run on it and closed once idle. Changing the target's key or pin makes a new connection; the old
/// one is closed when its last user is done.
/// </summary>
public sealed class SshConnections : IDisposable
{
    private readonly ConcurrentDictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private readonly Timer _sweeper;

    public SshConnections(SshOptions? options = null)
    {
        Options = options ?? new SshOptions();
        var period = TimeSpan.FromMilliseconds(Math.Clamp(Options.IdleTimeout.TotalMilliseconds / 4, 250, 15_000));
        _sweeper = new Timer(_ => CloseIdle(), null, period, period);
    }

    public SshOptions Options { get; }

    /// <summary>Connections open right now (tests and metrics).</summary>
    public int OpenConnections => _slots.Values.Count(s => s.Connection is { IsConnected: true });

    /// <summary>A lease on the target's connection, connecting (and checking the host key) when there is none.</summary>
    /// <exception cref="SshFailureException">The connection was refused, with the reason classified.</exception>
    public async Task<SshLease> AcquireAsync(SshSettings settings, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var slot = _slots.GetOrAdd(Key(settings), _ => new Slot());
        await slot.Gate.WaitAsync(ct);
        try
        {
            if (slot.Connection is not { IsConnected: true })
            {
                slot.Connection?.Dispose();
                slot.Connection = null;
                slot.Connection = await SshConnection.ConnectAsync(settings, Options, ct);
            }

            slot.Connection.AddLease();
            return new SshLease(slot.Connection);
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    /// <summary>Closes every connection idle longer than the limit (and any whose settings were replaced).</summary>
    public void CloseIdle()
    {
        foreach (var (key, slot) in _slots)
        {
            if (!slot.Gate.Wait(0))
            {
                continue;
            }

            try
            {
                if (slot.Connection is { } c && c.Leases == 0 && (c.Idle >= Options.IdleTimeout || !c.IsConnected))
                {
                    slot.Connection = null;
                    c.Dispose();
                }
            }
            finally
            {
                slot.Gate.Release();
            }
        }
    }

    public void Dispose()
    {
        _sweeper.Dispose();
        foreach (var slot in _slots.Values)
        {
            slot.Connection?.Dispose();
            slot.Connection = null;
        }
    }

    /// <summary>The key includes a hash of the private key, never the key itself.</summary>
    private static string Key(SshSettings s) =>
        $"{s.User}@{s.Host}:{s.Port}|{SshFingerprint.Normalize(s.HostKeyFingerprint)}|{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(s.PrivateKey.Reveal())))}";

    private sealed class Slot
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public SshConnection? Connection { get; set; }
    }
}

/// <summary>Use of a pooled connection; disposing it hands the connection back (it stays open until idle).</summary>
public sealed class SshLease(SshConnection connection) : IDisposable
{
    private int _released;

    public SshConnection Connection { get; } = connection;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            Connection.ReleaseLease();
        }
    }
}
