using System.Diagnostics;
using Xunit;

namespace Portal.Testing.Servers;

/// <summary>
/// A redis-server process of the test's own (never the shared one), for faults: kill it, start it
/// again on the same port and data dir. Loopback only, a password, no persistence.
/// </summary>
public sealed class PrivateRedis : IAsyncLifetime
{
    private const string Binary = "/usr/bin/redis-server";
    private readonly string _dir = Directory.CreateTempSubdirectory("portal-private-redis-").FullName;
    private Process? _process;

    public int Port { get; } = PrivateProcess.FreePort();

    public string Password { get; } = Guid.NewGuid().ToString("N");

    /// <summary>A StackExchange.Redis configuration string for this server.</summary>
    public string ConnectionString => $"127.0.0.1:{Port},password={Password},connectTimeout=2000,syncTimeout=2000";

    public Task InitializeAsync() => StartAsync();

    /// <summary>Starts the server (again) on the same port and data dir; returns once it accepts connections.</summary>
    public async Task StartAsync()
    {
        var start = new ProcessStartInfo(Binary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                     "--dir", _dir, "--requirepass", Password, "--save", "", "--appendonly", "no" })
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await PrivateProcess.WaitForPortAsync(Port, TimeSpan.FromSeconds(10));
    }

    /// <summary>Kills the server, as a crash would.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        Directory.Delete(_dir, recursive: true);
    }
}
