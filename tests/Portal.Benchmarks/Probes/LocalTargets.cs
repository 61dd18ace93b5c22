using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Portal.Testing;

namespace Portal.Benchmarks.Probes;

/// <summary>Where the bench PostgreSQL and Redis are (from the variables scripts/bench.sh exports).</summary>
public sealed record LocalTargets(string PgHost, int PgPort, string PgUser, string PgPassword, string RedisHost, int RedisPort, string? RedisPassword)
{
    public static LocalTargets FromEnvironment()
    {
        var pg = new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresAdmin);
        var redis = TestEnvironment.Redis ?? throw new InvalidOperationException("PORTAL_TEST_REDIS is not set.");
        var parts = redis.Split(',');
        var hostPort = parts[0].Split(':');
        var password = parts.Skip(1).Select(p => p.Split('=', 2)).Where(kv => kv[0] == "password").Select(kv => kv[1]).FirstOrDefault();
        return new LocalTargets(pg.Host!, pg.Port, pg.Username!, pg.Password!, hostPort[0], int.Parse(hostPort[1], System.Globalization.CultureInfo.InvariantCulture), password);
    }
}

/// <summary>A loopback HTTPS listener with a fresh self-signed certificate: the target for tls.inspect and the blackbox tls module.</summary>
public sealed class TlsListener : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TlsListener(WebApplication app, X509Certificate2 certificate)
    {
        _app = app;
        Certificate = certificate;
    }

    public X509Certificate2 Certificate { get; }

    public int Port { get; private set; }

    public static async Task<TlsListener> StartAsync()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(90));
        // Re-imported so Kestrel can use the private key on Linux.
        var certificate = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0, l => l.UseHttps(certificate)));
        var app = builder.Build();
        app.MapGet("/health", () => Results.Ok(new { status = "ok" }));
        await app.StartAsync();
        var listener = new TlsListener(app, certificate);
        listener.Port = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First()).Port;
        return listener;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Certificate.Dispose();
    }
}
