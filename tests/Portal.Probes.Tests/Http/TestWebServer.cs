using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Portal.Probes.Contract;

namespace Portal.Probes.Tests.Http;

/// <summary>A real Kestrel server on a free port, with the routes a test gives it.</summary>
public sealed class TestWebServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestWebServer(WebApplication app, Uri baseUri)
    {
        _app = app;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }

    public int Port => BaseUri.Port;

    /// <summary>Starts a server on <paramref name="address"/> (loopback by default), port 0.</summary>
    public static async Task<TestWebServer> StartAsync(
        Action<WebApplication> routes,
        IPAddress? address = null,
        X509Certificate2? certificate = null,
        X509Certificate2Collection? chain = null,
        SslProtocols protocols = SslProtocols.None,
        HttpProtocols httpProtocols = HttpProtocols.Http1AndHttp2)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.Configure<KestrelServerOptions>(o => o.AllowSynchronousIO = false);
        builder.WebHost.UseKestrel(k => k.Listen(address ?? IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = certificate is null ? HttpProtocols.Http1 : httpProtocols;
            if (certificate is not null)
            {
                listen.UseHttps(https =>
                {
                    https.ServerCertificate = certificate;
                    https.ServerCertificateChain = chain;
                    https.SslProtocols = protocols;
                });
            }
        }));
        var app = builder.Build();
        routes(app);
        await app.StartAsync();
        var bound = app.Urls.First();
        return new TestWebServer(app, new Uri(bound));
    }

    /// <summary>A loopback port nothing listens on (bound, then released).</summary>
    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public static ProbeTarget Target(Uri baseUri, bool allowLoopback = true, bool allowPrivate = false) => new()
    {
        Environment = "test",
        Name = "web",
        Role = "platform-api",
        Kind = TargetKind.Http,
        BaseUrl = baseUri.ToString().TrimEnd('/'),
        AllowLoopback = allowLoopback,
        AllowPrivate = allowPrivate,
    };

    public ProbeTarget Target() => Target(BaseUri);

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(cts.Token);
        await _app.DisposeAsync();
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or the deadline passes.</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan within)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > within)
            {
                return false;
            }

            await Task.Delay(20);
        }

        return true;
    }

    /// <summary>Writes a JSON text with the right content type.</summary>
    public static Task Json(HttpContext context, string json, int status = 200)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(json);
    }
}
