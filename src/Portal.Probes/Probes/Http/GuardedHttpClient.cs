using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Portal.Probes.Contract;
using Portal.Probes.Network;

namespace Portal.Probes.Probes.Http;

/// <summary>
/// The HTTP client the Http probes share. Every connection — the first one and every one a
/// redirect leads to — goes through a ConnectCallback that asks the target's
/// <see cref="NetworkGuard"/> first and connects only to an address it returned; DNS, connect
/// and TLS are timed per connection. Redirects are never followed by the handler: the caller
/// follows them itself so it can check each Location's scheme.
/// </summary>
internal sealed class GuardedHttpClient : IDisposable
{
    /// <summary>Never read more of a body than this.</summary>
    public const int BodyCap = 1024 * 1024;

    /// <summary>Carries a connection's timing from the ConnectCallback to the stream filter that sees TLS done.</summary>
    private static readonly HttpRequestOptionsKey<ConnectionTiming> TimingKey = new("portal.connection");

    private readonly ProbeRequest _request;
    private readonly SocketsHttpHandler _handler;
    private readonly HttpClient _client;
    private readonly object _gate = new();
    private readonly List<ConnectionTiming> _connections = [];

    public GuardedHttpClient(ProbeRequest request, RemoteCertificateValidationCallback? certificateCheck = null)
    {
        _request = request;
        _handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            ConnectCallback = ConnectAsync,
            PlaintextStreamFilter = FilterAsync,
            MaxResponseHeadersLength = 64, // KB
            MaxResponseDrainSize = 0, // a body left unread closes the connection instead of being drained
        };
        if (certificateCheck is not null)
        {
            _handler.SslOptions.RemoteCertificateValidationCallback = certificateCheck;
        }

        _client = new HttpClient(_handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>Connections opened since the last call, with their timings.</summary>
    public IReadOnlyList<ConnectionTiming> TakeConnections()
    {
        lock (_gate)
        {
            var taken = _connections.ToList();
            _connections.Clear();
            return taken;
        }
    }

    /// <summary>
    /// One request, no redirects followed. Reads at most <paramref name="bodyLimit"/> bytes of the
    /// body (never more than <see cref="BodyCap"/>), then lets the rest go with the connection.
    /// </summary>
    /// <param name="timeout">For the whole exchange, body included: a server trickling bytes times out.</param>
    public async Task<HttpAttempt> SendAsync(HttpMethod method, Uri uri, int bodyLimit, TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        var watch = Stopwatch.StartNew();
        using var message = new HttpRequestMessage(method, uri);
        message.Headers.UserAgent.Add(new ProductInfoHeaderValue("portal-probe", "1.0"));
        message.Headers.Accept.ParseAdd("application/json, text/plain;q=0.9, */*;q=0.8");
        if (uri.Scheme == Uri.UriSchemeHttps)
        {
            message.Version = HttpVersion.Version20;
            message.VersionPolicy = HttpVersionPolicy.RequestVersionOrLower;
        }

        HttpResponseMessage response;
        try
        {
            response = await _client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return HttpAttempt.Failed(Classify(ex, ct), Describe(ex), watch.Elapsed);
        }

        using (response)
        {
            var headersAt = watch.Elapsed;
            var limit = Math.Min(Math.Max(bodyLimit, 0), BodyCap);
            var buffer = new MemoryStream();
            var truncated = false;
            string? bodyError = null;
            try
            {
                if (method != HttpMethod.Head)
                {
                    await using var body = await response.Content.ReadAsStreamAsync(cts.Token);
                    var chunk = new byte[16 * 1024];
                    while (true)
                    {
                        var room = limit - (int)buffer.Length;
                        if (room <= 0)
                        {
                            // One more byte tells us whether there was more; the rest is never read.
                            truncated = await body.ReadAsync(chunk.AsMemory(0, 1), cts.Token) > 0;
                            break;
                        }

                        var read = await body.ReadAsync(chunk.AsMemory(0, Math.Min(room, chunk.Length)), cts.Token);
                        if (read == 0)
                        {
                            break;
                        }

                        buffer.Write(chunk, 0, read);
                    }
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                bodyError = Classify(ex, ct);
            }

            return new HttpAttempt(
                Status: (int)response.StatusCode,
                Reason: response.ReasonPhrase,
                Version: response.Version,
                Headers: [.. response.Headers.Concat(response.Content.Headers).Select(h => (h.Key, string.Join(", ", h.Value)))],
                Location: response.Headers.Location,
                ContentLength: response.Content.Headers.ContentLength,
                ContentType: response.Content.Headers.ContentType?.MediaType,
                Body: buffer.ToArray(),
                BodyTruncated: truncated,
                Error: bodyError,
                ErrorDetail: bodyError is null ? null : $"reading the body: {bodyError}",
                HeadersAt: headersAt,
                Elapsed: watch.Elapsed);
        }
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var port = context.DnsEndPoint.Port;
        var watch = Stopwatch.StartNew();
        var addresses = await _request.Network.ResolveAllowedAsync(host, _request.Target, ct);
        var dns = watch.Elapsed;
        Exception? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            var connectStart = watch.Elapsed;
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), ct);
                var timing = new ConnectionTiming(host, new IPEndPoint(address, port), dns, watch.Elapsed - connectStart);
                var stream = new NetworkStream(socket, ownsSocket: true);
                context.InitialRequestMessage.Options.Set(TimingKey, timing);
                lock (_gate)
                {
                    _connections.Add(timing);
                }

                return stream;
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    private static ValueTask<Stream> FilterAsync(SocketsHttpPlaintextStreamFilterContext context, CancellationToken ct)
    {
        if (context.PlaintextStream is SslStream ssl && context.InitialRequestMessage.Options.TryGetValue(TimingKey, out var timing))
        {
            timing.Tls = timing.SinceConnected;
            timing.TlsProtocol = TlsNames.Protocol(ssl.SslProtocol);
            timing.Cipher = ssl.NegotiatedCipherSuite.ToString();
            timing.Alpn = ssl.NegotiatedApplicationProtocol.ToString();
        }

        return ValueTask.FromResult(context.PlaintextStream);
    }

    /// <summary>refused, timeout, dns, tls, refused_by_policy, reset, protocol, or a socket error name.</summary>
    internal static string Classify(Exception ex, CancellationToken ct)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case AddressRefusedException refused:
                    return refused.InnerException is SocketException ? "dns" : "refused_by_policy";
                case OperationCanceledException when !ct.IsCancellationRequested:
                case TimeoutException:
                    return "timeout";
                case AuthenticationException:
                    return "tls";
                case SocketException socket:
                    return socket.SocketErrorCode switch
                    {
                        SocketError.ConnectionRefused => "refused",
                        SocketError.TimedOut => "timeout",
                        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "dns",
                        SocketError.ConnectionReset or SocketError.ConnectionAborted => "reset",
                        SocketError.HostUnreachable or SocketError.NetworkUnreachable => "unreachable",
                        _ => socket.SocketErrorCode.ToString().ToLowerInvariant(),
                    };
                case HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError }:
                    return "dns";
                case HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError }:
                    return "tls";
                case HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded or HttpRequestError.InvalidResponse }
                    when e.InnerException is null:
                    return "protocol";
                default:
                    break;
            }
        }

        return "error";
    }

    /// <summary>The innermost message that says something, without stack or type noise.</summary>
    internal static string Describe(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is AddressRefusedException refused)
            {
                return refused.Message;
            }
        }

        var inner = ex;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        return inner is OperationCanceledException ? "no complete answer in time" : Shorten(inner.Message, 300);
    }

    internal static string Shorten(string text, int max) => text.Length <= max ? text : text[..max] + "…";

    public void Dispose()
    {
        _client.Dispose();
        _handler.Dispose();
    }
}

/// <summary>One connection the handler opened: where to, and how long each phase took.</summary>
internal sealed class ConnectionTiming(string host, IPEndPoint endpoint, TimeSpan dns, TimeSpan connect)
{
    private readonly long _connectedAt = Stopwatch.GetTimestamp();

    public string Host { get; } = host;

    public IPEndPoint Endpoint { get; } = endpoint;

    public TimeSpan Dns { get; } = dns;

    public TimeSpan Connect { get; } = connect;

    /// <summary>TLS handshake time; null for plain HTTP.</summary>
    public TimeSpan? Tls { get; set; }

    public string? TlsProtocol { get; set; }

    public string? Cipher { get; set; }

    public string? Alpn { get; set; }

    public TimeSpan SinceConnected => Stopwatch.GetElapsedTime(_connectedAt);

    /// <summary>DNS + connect + TLS: how long before the request could be written.</summary>
    public TimeSpan Setup => Dns + Connect + (Tls ?? TimeSpan.Zero);
}

/// <summary>The outcome of one HTTP exchange: a response (maybe with a body error) or a classified failure.</summary>
internal sealed record HttpAttempt(
    int Status,
    string? Reason,
    Version? Version,
    IReadOnlyList<(string Name, string Value)> Headers,
    Uri? Location,
    long? ContentLength,
    string? ContentType,
    byte[] Body,
    bool BodyTruncated,
    string? Error,
    string? ErrorDetail,
    TimeSpan HeadersAt,
    TimeSpan Elapsed)
{
    public bool Responded => Status > 0;

    public static HttpAttempt Failed(string error, string detail, TimeSpan elapsed) =>
        new(0, null, null, [], null, null, null, [], false, error, detail, elapsed, elapsed);

    public static string VersionText(Version? v) => v is null ? "?" : v.Major >= 2 ? $"HTTP/{v.Major}" : $"HTTP/{v.Major}.{v.Minor}";
}

/// <summary>Names as OpenSSL prints them, which runbook rules compare against ("TLSv1.2").</summary>
internal static class TlsNames
{
// By value: the obsolete members' names trip the deprecation analyzers, and naming them is the point.
    public static string Protocol(SslProtocols p) => (int)p switch
    {
        12288 => "TLSv1.3",
        3072 => "TLSv1.2",
        768 => "TLSv1.1",
        192 => "TLSv1",
        48 => "SSLv3",
        12 => "SSLv2",
        _ => p.ToString(),
    };
}
