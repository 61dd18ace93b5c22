using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Portal.Probes.Contract;
using Portal.Probes.Network;
using Portal.Testing;

namespace Portal.IntegrationTests;

/// <summary>
/// One portal for the whole hostile input suite, with: a trap (a TCP listener on loopback that
/// counts connections; targets that do not allow loopback point at it, so any accepted connection
/// is a policy bypass), DNS names that resolve to refused addresses, an HTTP server that redirects
/// to refused addresses, a canary path that only a shell could create, and planted secrets.
/// </summary>
public sealed class HostileFixture : IAsyncLifetime
{
    public const string Environment = "hostile";
    public const string TargetPassword = "Tgt-pl4nted-S3cret-zq";
    public const string SecretParameter = "Par-pl4nted-S3cret-kw";

    /// <summary>Names the test resolver answers; everything else goes to the real DNS.</summary>
    public static readonly Dictionary<string, IPAddress[]> FakeDns = new(StringComparer.OrdinalIgnoreCase)
    {
        ["loopback.hostile.test"] = [IPAddress.Loopback],
        ["metadata.hostile.test"] = [IPAddress.Parse("169.254.169.254")],
        ["mixed.hostile.test"] = [IPAddress.Parse("169.254.169.254"), IPAddress.Loopback, IPAddress.Parse("10.1.2.3")],
        ["v6meta.hostile.test"] = [IPAddress.Parse("fd00:ec2::254")],
        ["mapped.hostile.test"] = [IPAddress.Parse("::ffff:127.0.0.1")],

        // What a resolver that honours the trailing dot answers (this machine's does not resolve it at all).
        ["localhost."] = [IPAddress.Loopback, IPAddress.IPv6Loopback],
    };

    private readonly TcpListener _trap = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private int _trapAccepted;
    private WebApplication? _web;

    public PortalHost Host { get; } = new()
    {
        ConfigureServices = services =>
        {
            services.AddSingleton<IProbe, LinesProbe>();
            services.AddSingleton<IProbe, ThrowingProbe>();
            services.AddSingleton(new NetworkGuard((name, ct) =>
                FakeDns.TryGetValue(name, out var addresses) ? Task.FromResult(addresses) : Dns.GetHostAddressesAsync(name, ct)));
        },
    };

    public HttpClient Admin { get; private set; } = null!;

    /// <summary>A responder: the role that runs probes.</summary>
    public HttpClient Responder { get; private set; } = null!;

    public string ResponderToken { get; private set; } = null!;

    public int TrapPort => ((IPEndPoint)_trap.LocalEndpoint).Port;

    /// <summary>Connections the trap accepted. Must stay 0.</summary>
    public int TrapAccepted => Volatile.Read(ref _trapAccepted);

    /// <summary>The redirecting HTTP server (loopback; target "web" allows loopback).</summary>
    public Uri WebBase { get; private set; } = null!;

    /// <summary>A file a shell would create if any payload reached one; it must never exist.</summary>
    public string Canary { get; } = Path.Combine(Path.GetTempPath(), "portal-hostile-canary-" + Guid.NewGuid().ToString("N"));

    public string LogDirectory { get; } = Path.Combine(Path.GetTempPath(), "portal-hostile-logs-" + Guid.NewGuid().ToString("N"));

    public async Task InitializeAsync()
    {
        _trap.Start();
        _ = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    using var client = await _trap.AcceptTcpClientAsync(_stop.Token);
                    Interlocked.Increment(ref _trapAccepted);
                }
                catch (Exception) when (_stop.IsCancellationRequested)
                {
                    return;
                }
            }
        });

        await StartWebAsync();

        // Information: the log lines a run writes (its summary) are captured and checked for secrets too.
        Host.Settings["Serilog:MinimumLevel:Default"] = "Information";
        await Host.InitializeAsync();
        Admin = Host.CreateClient();
        ResponderToken = (await Host.IssueTokenAsync("hostile", await Host.CreateUserAsync("hostile", "responder")))!;
        Responder = Host.CreateClient(ResponderToken);

        Directory.CreateDirectory(LogDirectory);
        await File.WriteAllTextAsync(Path.Combine(LogDirectory, "app.log"), "started\nERROR boom\n");
        File.CreateSymbolicLink(Path.Combine(LogDirectory, "escape.log"), "/etc/passwd");
        await PutAsync("box", new
        {
            role = "box", kind = "host", host = "127.0.0.1", password = TargetPassword, allowLoopback = true,
            logPaths = new[] { Path.Combine(LogDirectory, "app.log"), Path.Combine(LogDirectory, "escape.log") },
            units = new[] { "platform-api.service" },
        });
        await PutAsync("web", new { role = "web", kind = "http", baseUrl = WebBase.ToString(), allowLoopback = true, password = TargetPassword });
    }

    private async Task PutAsync(string name, object target)
    {
        using var response = await System.Net.Http.Json.HttpClientJsonExtensions.PutAsJsonAsync(Admin, $"/api/environments/{Environment}/targets/{name}", target);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task StartWebAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        _web = builder.Build();
        var redirects = new Dictionary<string, string>
        {
            ["metadata"] = "http://169.254.169.254/latest/meta-data/iam/",
            ["metadata-v6"] = "http://[fd00:ec2::254]/latest/",
            ["metadata-name"] = "http://metadata.hostile.test/",
            ["metadata-decimal"] = "http://2852039166/latest/",
            ["file"] = "file:///etc/passwd",
            ["gopher"] = "gopher://127.0.0.1:6379/_FLUSHALL",
            ["ftp"] = "ftp://127.0.0.1/",
            ["link-local"] = "http://[fe80::1]/",
        };
        _web.MapGet("/to/{where}", (string where) => redirects.TryGetValue(where, out var to) ? Results.Redirect(to) : Results.NotFound());
        _web.MapGet("/{**rest}", () => Results.Text("ok"));
        await _web.StartAsync();
        WebBase = new Uri(_web.Urls.First());
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        _trap.Stop();
        Admin.Dispose();
        Responder.Dispose();
        if (_web is not null)
        {
            await _web.DisposeAsync();
        }

        await Host.DisposeAsync();
        Directory.Delete(LogDirectory, recursive: true);
        _stop.Dispose();
    }
}

/// <summary>A probe that throws an exception quoting the target's password and its secret parameter.</summary>
public sealed class ThrowingProbe : IProbe
{
    public ProbeDescriptor Descriptor { get; } = new(
        "test.throws", "Test throws", "测试异常", "Throws.", [TargetKind.Host],
        [new ProbeParameter("api_key", ParameterType.String, "A secret", Secret: true)],
        TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20));

    public async IAsyncEnumerable<ProbeEvent> RunAsync(ProbeRequest request, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await Task.Yield();
        yield return new OutputLine("about to fail");
        throw new InvalidOperationException(
            $"connect failed: Password={request.Target.Password?.Reveal()};ApiKey={request.GetOptional("api_key")}",
            new IOException($"inner: {request.Target.Password?.Reveal()}"));
    }
}
