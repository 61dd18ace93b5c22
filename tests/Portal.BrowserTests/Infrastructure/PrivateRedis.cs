using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Portal.BrowserTests.Infrastructure;

/// <summary>
/// A redis-server of the test's own, on a free loopback port, with no persistence, so a test may stop it
/// (the shared test Redis is never touched). Dispose stops it if the test did not.
/// </summary>
public sealed class PrivateRedis : IAsyncDisposable
{
    private readonly Process _process;

    private PrivateRedis(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public static async Task<PrivateRedis> StartAsync()
    {
        var port = FreePort();
        var start = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                     "--dir", Path.GetTempPath(), "--dbfilename", $"private-{port}.rdb", "--daemonize", "no",
                 })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var redis = new PrivateRedis(process, port);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!await redis.AnswersAsync())
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                await redis.DisposeAsync();
                throw new InvalidOperationException($"redis-server on port {port} did not come up (exit: {(process.HasExited ? process.ExitCode : "still running")}).");
            }

            await Task.Delay(50);
        }

        return redis;
    }

    /// <summary>Stops the server the hard way (as a crash would) and waits until the port refuses connections.</summary>
    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        while (await AnswersAsync())
        {
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }

    /// <summary>PING answered with PONG.</summary>
    private async Task<bool> AnswersAsync()
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await client.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), timeout.Token);
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer, timeout.Token);
            return System.Text.Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
