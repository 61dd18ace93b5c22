using Portal.Probes.Contract;
using Portal.Probes.Ssh;

namespace Portal.Probes.Probes.Host;

/// <summary>Which machine a host probe inspects for a target, and through what.</summary>
public interface IHostAccessProvider
{
    /// <summary>
    /// The target's machine: over SSH when it carries SSH settings, else the portal's own machine
    /// (refused when <paramref name="mustBeHere"/> and the target names another host).
    /// </summary>
    /// <returns>A lease; dispose it when the run is done. Never throws for a target's fault: see <see cref="HostLease.Refusal"/>.</returns>
    Task<HostLease> AcquireAsync(ProbeTarget target, bool mustBeHere, CancellationToken ct);
}

/// <summary>The access a probe run uses, or why there is none.</summary>
public sealed class HostLease : IDisposable
{
    private readonly SshLease? _ssh;

    private HostLease(HostAccess? access, SshLease? ssh, string? refusal, string? sshError)
    {
        Access = access;
        _ssh = ssh;
        Refusal = refusal;
        SshError = sshError;
    }

    public HostAccess? Access { get; }

    /// <summary>Why the probe cannot run here (the sentence for its verdict).</summary>
    public string? Refusal { get; }

    /// <summary>The classified SSH failure (ssh.error finding), when SSH was the reason.</summary>
    public string? SshError { get; }

    /// <summary>True when the machine is reached over SSH.</summary>
    public bool IsRemote => _ssh is not null;

    public static HostLease Here(HostAccess access) => new(access, null, null, null);

    public static HostLease Remote(HostAccess access, SshLease ssh) => new(access, ssh, null, null);

    public static HostLease Refused(string why) => new(null, null, why, null);

    public static HostLease Failed(SshFailureException failure) => new(null, null, failure.Message, failure.Code);

    /// <summary>What a probe reports when it cannot start: a policy refusal is an Error; a failing SSH connection is the target's Fail, classified.</summary>
    public IEnumerable<ProbeEvent> RefusalEvents(string what)
    {
        if (SshError is { } code)
        {
            yield return new Finding("ssh.error", code);
            yield return new Verdict(VerdictStatus.Fail, $"{what}: {Refusal}");
        }
        else
        {
            yield return new Verdict(VerdictStatus.Error, $"{what}: {Refusal}.");
        }
    }

    public void Dispose() => _ssh?.Dispose();
}

/// <summary>The usual provider: SSH through the shared connection pool, else <paramref name="local"/> (the portal's own machine).</summary>
public sealed class HostAccessProvider(SshConnections ssh, HostAccess? local = null) : IHostAccessProvider
{
    private static readonly Lazy<HostAccessProvider> Shared = new(() => new HostAccessProvider(new SshConnections()));

    /// <summary>For probes constructed without DI (tests): its own pool.</summary>
    public static HostAccessProvider Default => Shared.Value;

    /// <summary>Local targets read through <paramref name="host"/> (fakes in tests); SSH targets as usual.</summary>
    public static HostAccessProvider Fixed(HostAccess host) => new(Default.Connections, host);

    public SshConnections Connections { get; } = ssh;

    public async Task<HostLease> AcquireAsync(ProbeTarget target, bool mustBeHere, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.Ssh is { } settings)
        {
            try
            {
                var lease = await Connections.AcquireAsync(settings, ct);
                return HostLease.Remote(new HostAccess(new SshHostFileSystem(lease.Connection), new SshHostCommands(lease.Connection)), lease);
            }
            catch (SshFailureException failure)
            {
                return HostLease.Failed(failure);
            }
            catch (OperationCanceledException)
            {
                return HostLease.Refused("cancelled before the SSH connection was ready");
            }
        }

        if (mustBeHere && HostAccess.WhyNotLocal(target) is { } notLocal)
        {
            return HostLease.Refused(notLocal);
        }

        return HostLease.Here(local ?? HostAccess.Local);
    }
}
