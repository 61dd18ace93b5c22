using System.Diagnostics;
using Portal.Probes.Ssh;

namespace Portal.Web.Inventory;

/// <summary>What the targets page and the API say about a host target's SSH: reachable, or why not.</summary>
/// <param name="Configured">The target carries SSH settings (host, user and a stored key).</param>
/// <param name="Error">Classified failure: host_key_unknown, host_key_changed, auth_failed, refused, timeout…</param>
/// <param name="Presented">The fingerprint the server presented (what "trust this key" would pin).</param>
public sealed record SshStatus(bool Configured, bool Reachable, string? Error, string Message, string? Pinned, string? Presented, double? ConnectMs);

/// <summary>Checks SSH reachability through the same connection pool the probes use, and scans host keys for trusting.</summary>
public sealed class SshStatusService(InventoryStore store, SshConnections pool)
{
    /// <returns>Null when there is no such target.</returns>
    public async Task<SshStatus?> CheckAsync(string environment, string name, CancellationToken ct)
    {
        var record = await store.GetTargetAsync(environment, name, ct);
        if (record is null)
        {
            return null;
        }

        if (record.SshHost is null)
        {
            return new SshStatus(false, false, null, "No SSH settings: host probes inspect the portal's own machine.", null, null, null);
        }

        var target = await store.ResolveAsync(environment, name, ct);
        if (target?.Ssh is not { } settings)
        {
            return new SshStatus(false, false, "bad_key", "No private key is stored for SSH; add one.", record.SshHostKey, null, null);
        }

        var watch = Stopwatch.StartNew();
        try
        {
            using var lease = await pool.AcquireAsync(settings, ct);
            return new SshStatus(true, true, null, $"Connected to {lease.Connection.Endpoint}.", settings.HostKeyFingerprint, lease.Connection.Fingerprint, watch.Elapsed.TotalMilliseconds);
        }
        catch (SshFailureException failure)
        {
            return new SshStatus(true, false, failure.Code, failure.Message, settings.HostKeyFingerprint, failure.PresentedFingerprint, null);
        }
    }

    /// <summary>The fingerprint the target's SSH server presents now (no login).</summary>
    public Task<string> ScanAsync(TargetRecord record, CancellationToken ct) =>
        SshConnection.ScanHostKeyAsync(record.SshHost!, record.SshPort ?? 22, pool.Options, ct);
}
