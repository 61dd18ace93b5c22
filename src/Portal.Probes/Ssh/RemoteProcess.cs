using System.Globalization;
using System.Text;
using Portal.Probes.Probes.Host;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace Portal.Probes.Ssh;

/// <summary>
/// A command running on the remote machine whose output arrives while it runs (journalctl -f,
/// tracepath, a ranged read). Disposing stops it there: a TERM to its pid (when it printed one),
/// then the channel is closed, which also ends anything that writes to it afterwards.
/// </summary>
internal sealed class RemoteProcess : IRunningCommand
{
    private static readonly TimeSpan StopLimit = TimeSpan.FromSeconds(5);

    private readonly SshConnection _connection;
    private readonly SshCommand _command;
    private readonly Task _execution;
    private readonly StreamReader _stdout;
    private readonly StringBuilder _stderr = new();
    private readonly Task _stderrPump;
    private Task<string?>? _pendingRead;
    private int _disposed;

    public RemoteProcess(SshConnection connection, SshCommand command)
    {
        _connection = connection;
        _command = command;
        _execution = command.ExecuteAsync(CancellationToken.None);
        _stdout = new StreamReader(command.OutputStream, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: false);
        _stderrPump = PumpStderrAsync();
    }

    /// <summary>The remote process id (0 when the command does not print one).</summary>
    public int ProcessId { get; private set; }

    /// <summary>The raw output, for byte-exact reads (the ranged file stream).</summary>
    public Stream Output => _command.OutputStream;

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    internal async Task ReadPidAsync(CancellationToken ct)
    {
        var line = await ReadLineAsync(ct);
        ProcessId = int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0;
    }

    public async Task<string?> ReadLineAsync(CancellationToken ct)
    {
        // As locally: a read cancelled by the token is kept for the next call, so no line is lost.
        _pendingRead ??= Task.Run(() => _stdout.ReadLineAsync(CancellationToken.None).AsTask(), CancellationToken.None);
        try
        {
            var line = await _pendingRead.WaitAsync(ct);
            _pendingRead = null;
            return line;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (Exception ex) when (ex is SshException or IOException or ObjectDisposedException)
        {
            _pendingRead = null;
            return null;
        }
    }

    public async Task<int?> WaitAsync(TimeSpan limit)
    {
        try
        {
            await _execution.WaitAsync(limit);
            return _command.ExitStatus;
        }
        catch (Exception ex) when (ex is TimeoutException or SshException or OperationCanceledException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        try
        {
            if (!_execution.IsCompleted)
            {
                if (ProcessId > 0 && _connection.IsConnected)
                {
                    // A separate channel: the process may be blocked waiting for input that never comes.
                    using var stop = new CancellationTokenSource(StopLimit);
                    await _connection.RunAsync(RemoteCommands.Kill(ProcessId), StopLimit, stop.Token);
                }

                // Give the killed process a moment to close its channel: a signal request on a channel
                // the server has already closed makes OpenSSH drop the whole connection.
                await Task.WhenAny(_execution, Task.Delay(TimeSpan.FromSeconds(2)));
                try
                {
                    if (!_execution.IsCompleted)
                    {
                        _command.CancelAsync(forceKill: true, millisecondsTimeout: 1000);
                    }
                }
                catch (Exception ex) when (ex is SshException or InvalidOperationException or ObjectDisposedException)
                {
                    // Finished meanwhile, or the server ignores signals: closing the channel below ends it.
                }
            }

            await _execution.WaitAsync(StopLimit);
        }
        catch (Exception ex) when (ex is TimeoutException or SshException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
        {
            // It would not stop in time or the connection is gone; disposing the command closes the channel.
        }
        finally
        {
            _command.Dispose();
            _connection.ReleaseChannel();
        }
    }

    private async Task PumpStderrAsync()
    {
        try
        {
            using var reader = new StreamReader(_command.ExtendedOutputStream, new UTF8Encoding(false));
            while (await Task.Run(() => reader.ReadLineAsync()) is { } line)
            {
                lock (_stderr)
                {
                    if (_stderr.Length < 16_000)
                    {
                        _stderr.Append(line).Append('\n');
                    }
                }
            }
        }
        catch (Exception ex) when (ex is SshException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The command was stopped while we read.
        }
    }
}
