using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Portal.Probes.Tests.Redis;

/// <summary>
/// A scripted server on a loopback port, for what a real redis-server will not do on demand:
/// never answer, answer with something that is not RESP, or play an old Redis whose slow log
/// shows credentials in clear. <paramref name="reply"/> maps a command (its arguments) to raw
/// RESP bytes; null means stay silent.
/// </summary>
internal sealed class FakeRedis : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<string[], string?> _reply;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private readonly TimeSpan _delay;

    /// <param name="delay">How long the server takes before each reply (simulated latency).</param>
    public FakeRedis(Func<string[], string?> reply, TimeSpan? delay = null)
    {
        _reply = reply;
        _delay = delay ?? TimeSpan.Zero;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _loop = AcceptLoopAsync();
    }

    public int Port { get; }

    /// <summary>Every command received, in order.</summary>
    public List<string[]> Received { get; } = [];

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = ServeAsync(client);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.UTF8);
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    var header = await reader.ReadLineAsync(_stop.Token);
                    if (header is null || !header.StartsWith('*'))
                    {
                        return;
                    }

                    var args = new string[int.Parse(header[1..], System.Globalization.CultureInfo.InvariantCulture)];
                    for (var i = 0; i < args.Length; i++)
                    {
                        await reader.ReadLineAsync(_stop.Token); // $len
                        args[i] = await reader.ReadLineAsync(_stop.Token) ?? string.Empty;
                    }

                    lock (Received)
                    {
                        Received.Add(args);
                    }

                    if (_reply(args) is { } raw)
                    {
                        if (_delay > TimeSpan.Zero)
                        {
                            await Task.Delay(_delay, _stop.Token);
                        }

                        await stream.WriteAsync(Encoding.UTF8.GetBytes(raw), _stop.Token);
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>RESP for one bulk string.</summary>
    public static string Bulk(string item) => $"${Encoding.UTF8.GetByteCount(item)}\r\n{item}\r\n";

    /// <summary>RESP for an array of bulk strings.</summary>
    public static string Bulks(params string[] items) =>
        $"*{items.Length}\r\n" + string.Concat(items.Select(i => $"${Encoding.UTF8.GetByteCount(i)}\r\n{i}\r\n"));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}
