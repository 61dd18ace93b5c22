using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Portal.IntegrationTests;

/// <summary>
/// Misbehaving servers on real loopback sockets: one that accepts and never answers, one that
/// trickles a byte a second, one that answers HTTP at once. Each counts the connections it holds open.
/// </summary>
public sealed class SocketTarget : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<NetworkStream, CancellationToken, Task> _serve;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _accepted;
    private int _open;

    private SocketTarget(Func<NetworkStream, CancellationToken, Task> serve, int port = 0)
    {
        _serve = serve;
        _listener = new TcpListener(IPAddress.Loopback, port);
        _listener.Start(512);
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    /// <summary>Connections accepted so far.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Connections open now (the client has not closed them).</summary>
    public int Open => Volatile.Read(ref _open);

    /// <summary>Accepts connections, reads what the client sends, never writes a byte.</summary>
    public static SocketTarget Hanging() => new(static async (stream, ct) =>
    {
        var buffer = new byte[4096];
        while (await stream.ReadAsync(buffer, ct) > 0)
        {
        }
    });

    /// <summary>Starts an HTTP answer and sends it one byte a second, forever.</summary>
    public static SocketTarget Trickling() => new(static async (stream, ct) =>
    {
        var text = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nX-Slow: " + new string('a', 10_000));
        foreach (var b in text)
        {
            await stream.WriteAsync(new[] { b }, ct);
            await Task.Delay(1000, ct);
        }
    });

    /// <summary>Answers every HTTP request with 200 "ok" at once.</summary>
    public static SocketTarget Healthy(int port = 0) => new(static async (stream, ct) =>
    {
        var buffer = new byte[8192];
        var seen = new StringBuilder();
        while (!seen.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, ct);
            if (read == 0)
            {
                return;
            }

            seen.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"), ct);
    }, port);

    /// <summary>A loopback port nothing listens on (connections are refused), until a server is started on it.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            Interlocked.Increment(ref _open);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        try
        {
            using (client)
            {
                await _serve(client.GetStream(), _stop.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The client went away, or the test ended.
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
