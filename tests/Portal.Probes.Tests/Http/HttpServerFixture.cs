using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Portal.Probes.Tests.Http;

/// <summary>One Kestrel server shared by the HTTP tests, with every scenario on its own path.</summary>
public sealed class HttpServerFixture : IAsyncLifetime
{
    public const int BigBody = 10 * 1024 * 1024;

    private static readonly byte[] Block = Enumerable.Repeat((byte)'x', 64 * 1024).ToArray();
    private int _flaky;

    public TestWebServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await TestWebServer.StartAsync(app =>
        {
            app.MapGet("/health", c => TestWebServer.Json(c, """{"status":"Healthy","checks":{"database":{"status":"Healthy"},"redis":{"status":"Healthy"}}}"""));
            app.MapGet("/health/unhealthy", c => TestWebServer.Json(c, """{"status":"Unhealthy","checks":{"database":{"status":"Unhealthy","description":"timeout"},"redis":{"status":"Healthy"}}}""", 503));
            app.MapGet("/health/degraded", c => TestWebServer.Json(c, """{"status":"Degraded","dependencies":[{"name":"Fine Tuning","status":"degraded"}]}"""));
            app.MapGet("/health/spring", c => TestWebServer.Json(c, """{"status":"UP","components":{"db":{"status":"UP"},"diskSpace":{"status":"UP"}}}"""));
            app.MapGet("/secret", c =>
            {
                c.Response.Headers.Append("Set-Cookie", "session=s3cr3t-cookie; HttpOnly");
                c.Response.Headers.Append("X-Api-Token", "tok-abcdef-123456");
                c.Response.Headers.Append("X-Request-Id", "req-42");
                return c.Response.WriteAsync("ok");
            });
            app.MapGet("/slow", async c =>
            {
                var ms = int.Parse(c.Request.Query["ms"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
                await Task.Delay(ms, c.RequestAborted);
                await c.Response.WriteAsync("slow ok");
            });
            app.MapGet("/flaky", c =>
            {
                c.Response.StatusCode = Interlocked.Increment(ref _flaky) == 1 ? 500 : 200;
                return c.Response.WriteAsync("flaky");
            });
            app.MapGet("/loop", c => Redirect(c, "/loop"));
            app.MapGet("/redir/ok", c => Redirect(c, "/health"));
            app.MapGet("/redir/to", c => Redirect(c, c.Request.Query["u"].ToString()));
            app.MapGet("/big", async c =>
            {
                c.Response.ContentLength = BigBody;
                try
                {
                    for (var written = 0; written < BigBody; written += Block.Length)
                    {
                        await c.Response.Body.WriteAsync(Block, c.RequestAborted);
                    }
                }
                catch (Exception ex) when (ex is OperationCanceledException or IOException)
                {
                    // the client stopped reading and dropped the connection, as it should
                }
            });
            app.MapGet("/trickle", async c =>
            {
                c.Response.ContentLength = 1000;
                await c.Response.StartAsync(c.RequestAborted);
                for (var i = 0; i < 1000 && !c.RequestAborted.IsCancellationRequested; i++)
                {
                    await c.Response.Body.WriteAsync("."u8.ToArray(), c.RequestAborted);
                    await c.Response.Body.FlushAsync(c.RequestAborted);
                    await Task.Delay(200, c.RequestAborted);
                }
            });
        });
    }

    public Uri Url(string pathAndQuery) => new(Server.BaseUri, pathAndQuery);

    private static Task Redirect(HttpContext c, string location)
    {
        c.Response.StatusCode = 302;
        c.Response.Headers.Location = location;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();

    /// <summary>`curl -s -o /dev/null -w %{http_code} URL`: the status as curl sees it.</summary>
    public static async Task<string> CurlStatusAsync(Uri url, params string[] extra)
    {
        var psi = new ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10" }.Concat(extra))
        {
            psi.ArgumentList.Add(a);
        }

        psi.ArgumentList.Add(url.ToString());
        using var p = Process.Start(psi)!;
        var output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        return output.Trim();
    }

    /// <summary>An IPv4 address of this machine that is not loopback or link-local, if it has one.</summary>
    public static IPAddress? NonLoopbackAddress() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(u => u.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a) && a.GetAddressBytes()[0] != 169);
}
