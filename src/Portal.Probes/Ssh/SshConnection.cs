using System.Net.Sockets;
using System.Text;
using Portal.Probes.Contract;
using Portal.Probes.Probes.Host;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace Portal.Probes.Ssh;

/// <summary>What a short remote command printed.</summary>
internal sealed record RemoteResult(int? ExitCode, byte[] Stdout, string Stderr, bool TimedOut)
{
    public string Text => Encoding.UTF8.GetString(Stdout);
}

/// <summary>
/// One authenticated SSH connection to one target, shared by every probe run on it. Commands run on
/// channels of their own, at most <see cref="SshOptions.MaxChannels"/> at once; the pool closes the
/// connection once it has been idle for <see cref="SshOptions.IdleTimeout"/>.
/// </summary>
public sealed class SshConnection : IDisposable
{
    private readonly SshClient _client;
    private readonly SemaphoreSlim _channels;
    private readonly SshOptions _options;
    private long _lastUsed = Environment.TickCount64;
    private int _leases;
    private int _disposed;
    private IReadOnlyDictionary<string, string>? _programs;

    private SshConnection(SshClient client, SshOptions options, string endpoint, string fingerprint)
    {
        _client = client;
        _options = options;
        _channels = new SemaphoreSlim(options.MaxChannels, options.MaxChannels);
        Endpoint = endpoint;
        Fingerprint = fingerprint;
    }

    /// <summary>user@host:port, for messages.</summary>
    public string Endpoint { get; }

    /// <summary>The host key fingerprint the server presented (and that matched the pin).</summary>
    public string Fingerprint { get; }

    public bool IsConnected => Volatile.Read(ref _disposed) == 0 && _client.IsConnected;

    /// <summary>Channels in use right now (for tests and the page).</summary>
    public int ChannelsInUse => _options.MaxChannels - _channels.CurrentCount;

    internal SshOptions Options => _options;

    internal int Leases => Volatile.Read(ref _leases);

    internal TimeSpan Idle => TimeSpan.FromMilliseconds(Environment.TickCount64 - Interlocked.Read(ref _lastUsed));

    internal void AddLease() => Interlocked.Increment(ref _leases);

    internal void ReleaseLease()
    {
        Interlocked.Decrement(ref _leases);
        Touch();
    }

    /// <summary>Connects, checks the host key against the pin and authenticates with the private key, within the connect time limit.</summary>
    /// <exception cref="SshFailureException">Classified: unknown or changed host key, authentication, timeout, refused…</exception>
    public static async Task<SshConnection> ConnectAsync(SshSettings settings, SshOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var endpoint = $"{settings.User}@{settings.Host}:{settings.Port}";
        PrivateKeyFile key;
        try
        {
            key = new PrivateKeyFile(new MemoryStream(Encoding.UTF8.GetBytes(settings.PrivateKey.Reveal().Replace("\r\n", "\n", StringComparison.Ordinal))));
        }
        catch (Exception ex) when (ex is SshException or ArgumentException or InvalidOperationException or FormatException or NotSupportedException)
        {
            throw new SshFailureException(SshFailureKind.BadKey, $"The private key stored for {endpoint} cannot be read ({ex.GetType().Name}); store an unencrypted OpenSSH or PEM private key.");
        }

        var info = new ConnectionInfo(settings.Host, settings.Port, settings.User, new PrivateKeyAuthenticationMethod(settings.User, key))
        {
            Timeout = options.ConnectTimeout,
            MaxSessions = options.MaxChannels + 2, // room for the kill command while every channel streams
            RetryAttempts = 1,
        };
        var client = new SshClient(info) { KeepAliveInterval = TimeSpan.FromSeconds(15) };
        string? presented = null;
        client.HostKeyReceived += (_, e) =>
        {
            presented = SshFingerprint.Format(e.FingerPrintSHA256);
            e.CanTrust = SshFingerprint.Same(presented, settings.HostKeyFingerprint);
        };

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(options.ConnectTimeout);
        try
        {
            await client.ConnectAsync(limit.Token);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            client.Dispose();
            ct.ThrowIfCancellationRequested();
            throw Classify(ex, endpoint, presented, settings.HostKeyFingerprint, options);
        }

        return new SshConnection(client, options, endpoint, presented ?? string.Empty);
    }

    /// <summary>The fingerprint a server presents, without authenticating (what "trust this key" pins).</summary>
    public static async Task<string> ScanHostKeyAsync(string host, int port, SshOptions options, CancellationToken ct)
    {
        var info = new ConnectionInfo(host, port, "portal-host-key-scan", new NoneAuthenticationMethod("portal-host-key-scan")) { Timeout = options.ConnectTimeout, RetryAttempts = 1 };
        using var client = new SshClient(info);
        string? presented = null;
        client.HostKeyReceived += (_, e) =>
        {
            presented = SshFingerprint.Format(e.FingerPrintSHA256);
            e.CanTrust = false; // never log in: only the key is wanted
        };
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(options.ConnectTimeout);
        try
        {
            await client.ConnectAsync(limit.Token);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            if (presented is null)
            {
                ct.ThrowIfCancellationRequested();
                throw Classify(ex, $"{host}:{port}", null, null, options);
            }
        }

        return presented ?? throw new SshFailureException(SshFailureKind.Protocol, $"{host}:{port} presented no host key.");
    }

    internal static SshFailureException Classify(Exception ex, string endpoint, string? presented, string? pinned, SshOptions options)
    {
        if (presented is not null && !SshFingerprint.Same(presented, pinned))
        {
            return pinned is null
                ? new SshFailureException(SshFailureKind.HostKeyUnknown, $"The host key of {endpoint} is not trusted yet: the server presented {presented}. Compare it with the server's own (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) and let an admin trust it on the targets page.", presented, ex)
                : new SshFailureException(SshFailureKind.HostKeyChanged, $"The host key of {endpoint} has CHANGED: pinned {pinned}, presented {presented}. Connection refused; someone may be intercepting it. If the server was reinstalled, check the new key and let an admin trust it.", presented, ex);
        }

        return ex switch
        {
            SshAuthenticationException => new SshFailureException(SshFailureKind.AuthFailed, $"{endpoint} refused the private key (authentication failed): is its public key in the user's authorized_keys?", presented, ex),
            SocketException { SocketErrorCode: SocketError.ConnectionRefused } => new SshFailureException(SshFailureKind.Refused, $"{endpoint} refused the connection: no SSH server listens on that port.", presented, ex),
            SocketException { SocketErrorCode: SocketError.TimedOut } => new SshFailureException(SshFailureKind.Timeout, $"{endpoint} did not answer within {options.ConnectTimeout.TotalSeconds:0} s.", presented, ex),
            SocketException s => new SshFailureException(SshFailureKind.Unreachable, $"{endpoint} cannot be reached: {s.SocketErrorCode}.", presented, ex),
            SshOperationTimeoutException or OperationCanceledException or TimeoutException => new SshFailureException(SshFailureKind.Timeout, $"{endpoint} did not complete the SSH handshake within {options.ConnectTimeout.TotalSeconds:0} s.", presented, ex),
            _ => new SshFailureException(SshFailureKind.Protocol, $"SSH to {endpoint} failed: {ProbeText.Clip(ex.Message, 200)}", presented, ex),
        };
    }

    /// <summary>Runs a short command to its end (or the limit) and collects what it printed.</summary>
    internal async Task<RemoteResult> RunAsync(string commandText, TimeSpan? limit, CancellationToken ct)
    {
        var timeout = limit ?? _options.CommandTimeout;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await _channels.WaitAsync(cts.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new RemoteResult(null, [], $"every channel to {Endpoint} stayed busy", true);
        }

        try
        {
            using var command = _client.CreateCommand(commandText);
            using var buffer = new MemoryStream();
            try
            {
                // Drain the output while the command runs: the channel's buffer is bounded, and a
                // command that fills it would otherwise wait for a reader forever.
                var execution = command.ExecuteAsync(cts.Token);
                var drain = Task.Run(() => command.OutputStream.CopyToAsync(buffer, cts.Token), CancellationToken.None);
                await execution;
                await drain.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return new RemoteResult(null, [], string.Empty, true);
            }

            return new RemoteResult(command.ExitStatus, buffer.ToArray(), Bounded(command.Error), false);
        }
        catch (Exception ex) when (ex is SshException or SocketException or ObjectDisposedException)
        {
            throw new IOException($"SSH to {Endpoint} failed while running a command: {ProbeText.Clip(ex.Message, 200)}", ex);
        }
        finally
        {
            _channels.Release();
            Touch();
        }
    }

    /// <summary>The same, for the synchronous file seam (probes call it off the request thread).</summary>
    internal RemoteResult Run(string commandText) => RunAsync(commandText, null, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Starts a command whose output is read as it arrives; the channel is held until the process is disposed.</summary>
    internal async Task<RemoteProcess> StartAsync(string commandText, bool printsPid, CancellationToken ct)
    {
        await _channels.WaitAsync(ct);
        try
        {
            var command = _client.CreateCommand(commandText);
            var process = new RemoteProcess(this, command);
            if (printsPid)
            {
                await process.ReadPidAsync(ct);
            }

            return process;
        }
        catch (Exception ex) when (ex is SshException or SocketException or ObjectDisposedException)
        {
            _channels.Release();
            throw new IOException($"SSH to {Endpoint} failed while starting a command: {ProbeText.Clip(ex.Message, 200)}", ex);
        }
        catch
        {
            _channels.Release();
            throw;
        }
    }

    internal void ReleaseChannel()
    {
        _channels.Release();
        Touch();
    }

    /// <summary>Which known programs this machine has, looked up once per connection.</summary>
    internal IReadOnlyDictionary<string, string> Programs()
    {
        if (_programs is { } known)
        {
            return known;
        }

        var candidates = LocalHostCommands.KnownPrograms.SelectMany(p => p.Value).Distinct(StringComparer.Ordinal).ToList();
        var found = Run(RemoteCommands.Which(candidates)).Text.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        var programs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, paths) in LocalHostCommands.KnownPrograms)
        {
            if (paths.FirstOrDefault(found.Contains) is { } path)
            {
                programs[name] = path;
            }
        }

        return _programs = programs;
    }

    private void Touch() => Interlocked.Exchange(ref _lastUsed, Environment.TickCount64);

    internal static string Bounded(string text) => text.Length <= 16_000 ? text : text[..16_000];

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        try
        {
            _client.Disconnect();
        }
        catch (Exception ex) when (ex is SshException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // Already gone.
        }

        _client.Dispose();
        _channels.Dispose();
    }
}
