using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace Portal.Probes.Probes.Redis;

internal enum RespType
{
    SimpleString,
    Error,
    Integer,
    BulkString,
    Array,

    /// <summary>A null bulk string ($-1) or null array (*-1).</summary>
    Null,
}

/// <summary>One RESP2 reply. Error replies are values, not exceptions: the probe classifies them.</summary>
internal sealed record RespValue(RespType Type, string? Text = null, long Integer = 0, IReadOnlyList<RespValue>? Items = null)
{
    public bool IsError => Type == RespType.Error;

    public override string ToString() => Type switch
    {
        RespType.Integer => Integer.ToString(CultureInfo.InvariantCulture),
        RespType.Array => $"[{string.Join(", ", Items ?? [])}]",
        RespType.Null => "(nil)",
        _ => Text ?? string.Empty,
    };
}

/// <summary>The server sent something that is not RESP2, or more than we are willing to read.</summary>
internal sealed class RespProtocolException(string message) : Exception(message);

/// <summary>
/// A deliberately small RESP2 client over one socket: connect to an address the network guard
/// approved, optional TLS, then one command at a time. No reconnects, no retries, no pipelining,
/// so every failure surfaces exactly where it happened and each phase can be timed.
/// </summary>
internal sealed class RespClient : IAsyncDisposable
{
    private const int MaxBulkBytes = 16 * 1024 * 1024;
    private const int MaxArrayItems = 100_000;
    private const int MaxLineBytes = 64 * 1024;
    private const int MaxDepth = 8;

    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[16 * 1024];
    private Stream _stream;
    private int _start;
    private int _end;

    private RespClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>Opens a TCP connection; socket errors and cancellation propagate to the caller, who classifies them.</summary>
    public static async Task<RespClient> ConnectAsync(IPAddress address, int port, CancellationToken ct)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, port), ct);
            return new RespClient(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Wraps the connection in TLS, validating the server certificate against <paramref name="serverName"/>.</summary>
    public async Task<SslStream> StartTlsAsync(string serverName, CancellationToken ct)
    {
        var ssl = new SslStream(_stream, leaveInnerStreamOpen: false);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = serverName }, ct);
        _stream = ssl;
        return ssl;
    }

    /// <summary>Sends one command and reads its reply.</summary>
    public async Task<RespValue> ExecuteAsync(IReadOnlyList<string> args, CancellationToken ct)
    {
        await _stream.WriteAsync(Encode(args), ct);
        await _stream.FlushAsync(ct);
        return await ReadValueAsync(0, ct);
    }

    public Task<RespValue> ExecuteAsync(CancellationToken ct, params string[] args) => ExecuteAsync((IReadOnlyList<string>)args, ct);

    internal static byte[] Encode(IReadOnlyList<string> args)
    {
        var builder = new StringBuilder();
        builder.Append('*').Append(args.Count).Append("\r\n");
        using var output = new MemoryStream();
        output.Write(Encoding.ASCII.GetBytes(builder.ToString()));
        foreach (var arg in args)
        {
            var bytes = Encoding.UTF8.GetBytes(arg);
            output.Write(Encoding.ASCII.GetBytes($"${bytes.Length.ToString(CultureInfo.InvariantCulture)}\r\n"));
            output.Write(bytes);
            output.Write("\r\n"u8);
        }

        return output.ToArray();
    }

    private async Task<RespValue> ReadValueAsync(int depth, CancellationToken ct)
    {
        if (depth > MaxDepth)
        {
            throw new RespProtocolException("reply nested too deeply");
        }

        var line = await ReadLineAsync(ct);
        if (line.Length == 0)
        {
            throw new RespProtocolException("empty reply line");
        }

        var body = line[1..];
        switch (line[0])
        {
            case '+':
                return new RespValue(RespType.SimpleString, body);
            case '-':
                return new RespValue(RespType.Error, body);
            case ':':
                return new RespValue(RespType.Integer, Integer: ParseLength(body, long.MinValue, long.MaxValue));
            case '$':
            {
                var length = ParseLength(body, -1, MaxBulkBytes);
                if (length < 0)
                {
                    return new RespValue(RespType.Null);
                }

                var bytes = await ReadExactAsync((int)length + 2, ct);
                if (bytes[^2] != '\r' || bytes[^1] != '\n')
                {
                    throw new RespProtocolException("bulk string not terminated by CRLF");
                }

                return new RespValue(RespType.BulkString, Encoding.UTF8.GetString(bytes, 0, (int)length));
            }

            case '*':
            {
                var count = ParseLength(body, -1, MaxArrayItems);
                if (count < 0)
                {
                    return new RespValue(RespType.Null);
                }

                var items = new List<RespValue>((int)count);
                for (var i = 0; i < count; i++)
                {
                    items.Add(await ReadValueAsync(depth + 1, ct));
                }

                return new RespValue(RespType.Array, Items: items);
            }

            default:
                throw new RespProtocolException($"unexpected reply type '{Printable(line[0])}' — is this a Redis server?");
        }
    }

    private static long ParseLength(string text, long min, long max) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new RespProtocolException($"bad length or integer '{(text.Length > 20 ? text[..20] + "…" : text)}'");

    private static string Printable(char c) => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString();

    private async Task<string> ReadLineAsync(CancellationToken ct)
    {
        while (true)
        {
            for (var i = _start + 1; i < _end; i++)
            {
                if (_buffer[i] == '\n' && _buffer[i - 1] == '\r')
                {
                    var line = Encoding.UTF8.GetString(_buffer, _start, i - 1 - _start);
                    _start = i + 1;
                    return line;
                }
            }

            if (_end - _start >= MaxLineBytes || (_start == 0 && _end == _buffer.Length))
            {
                throw new RespProtocolException("reply line too long");
            }

            await FillAsync(ct);
        }
    }

    private async Task<byte[]> ReadExactAsync(int count, CancellationToken ct)
    {
        var result = new byte[count];
        var copied = 0;
        while (copied < count)
        {
            if (_start == _end)
            {
                await FillAsync(ct);
            }

            var n = Math.Min(count - copied, _end - _start);
            Buffer.BlockCopy(_buffer, _start, result, copied, n);
            _start += n;
            copied += n;
        }

        return result;
    }

    /// <summary>Reads more bytes, compacting the buffer first. End of stream is an <see cref="EndOfStreamException"/>.</summary>
    private async Task FillAsync(CancellationToken ct)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        var read = await _stream.ReadAsync(_buffer.AsMemory(_end), ct);
        if (read == 0)
        {
            throw new EndOfStreamException("the server closed the connection");
        }

        _end += read;
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _socket.Dispose();
    }
}
