using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Portal.Probes.Contract;
using Portal.Probes.Probes.Redis;
using Portal.Testing;

namespace Portal.Probes.Tests.Redis;

/// <summary>
/// A dedicated redis-server process for fault scenarios, on a free loopback port with its own
/// data dir, killed and cleaned up on dispose. <see cref="StartAsync"/> returns once it answers
/// (PONG, NOAUTH or LOADING all count as answering).
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private const string Binary = "/usr/bin/redis-server";
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private readonly bool _ownsDir;

    private RedisServer(Process process, int port, string? password, string dir, bool ownsDir)
    {
        _ownsDir = ownsDir;
        _process = process;
        Port = port;
        Password = password;
        Dir = dir;
    }

    public int Port { get; }

    public string? Password { get; }

    public string Dir { get; }

    /// <summary>What the server printed, for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <param name="dir">Data dir; when given, the caller owns it and it is kept on dispose.</param>
    public static async Task<RedisServer> StartAsync(string? password = null, string? dir = null, params string[] extra)
    {
        var ownsDir = dir is null;
        dir ??= Directory.CreateTempSubdirectory("portal-redis-").FullName;
        var port = FreePort();
        var start = new ProcessStartInfo(Binary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", string.Empty, "--appendonly", "no", "--dir", dir, "--daemonize", "no" })
        {
            start.ArgumentList.Add(arg);
        }

        if (password is not null)
        {
            start.ArgumentList.Add("--requirepass");
            start.ArgumentList.Add(password);
        }

        foreach (var arg in extra)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        var server = new RedisServer(process, port, password, dir, ownsDir);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await server.WaitUntilAnsweringAsync();
        return server;
    }

    /// <summary>A Redis target for this server, with its password when it has one.</summary>
    public ProbeTarget Target(string? password = null, string? username = null) =>
        ProbeHarness.LocalTarget(TargetKind.Redis, port: Port) with
        {
            Password = (password ?? Password) is { } p ? new Secret(p) : null,
            Username = username,
        };

    /// <summary>Runs a command on a fresh authenticated connection of our own client.</summary>
    public async Task<RespValue> CommandAsync(params string[] args)
    {
        await using var client = await RespClient.ConnectAsync(IPAddress.Loopback, Port, CancellationToken.None);
        if (Password is not null)
        {
            var auth = await client.ExecuteAsync(CancellationToken.None, "AUTH", Password);
            Assert.False(auth.IsError, auth.Text);
        }

        return await client.ExecuteAsync(args, CancellationToken.None);
    }

    /// <summary>A connection of our own client, authenticated with <paramref name="password"/> when given.</summary>
    public static async Task<RespClient> StartClientAsync(int port, string? password)
    {
        var client = await RespClient.ConnectAsync(IPAddress.Loopback, port, CancellationToken.None);
        if (password is not null)
        {
            var auth = await client.ExecuteAsync(CancellationToken.None, "AUTH", password);
            Assert.False(auth.IsError, auth.Text);
        }

        return client;
    }

    /// <summary>redis-cli against this server: the outside oracle.</summary>
    public Task<string> CliAsync(params string[] args) => RedisCli.RunAsync("127.0.0.1", Port, Password, args);

    /// <summary>Polls <paramref name="condition"/> until true or the deadline passes.</summary>
    public static async Task WaitForAsync(Func<Task<bool>> condition, string what, TimeSpan? limit = null)
    {
        var deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromSeconds(15));
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }

        _process.Dispose();
        try
        {
            if (_ownsDir && Directory.Exists(Dir))
            {
                Directory.Delete(Dir, recursive: true);
            }
        }
        catch (IOException)
        {
            // a temp dir left behind is harmless
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task WaitUntilAnsweringAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            Assert.False(_process.HasExited, $"redis-server exited: {Log}");
            try
            {
                await using var client = await RespClient.ConnectAsync(IPAddress.Loopback, Port, CancellationToken.None);
                var reply = await client.ExecuteAsync(CancellationToken.None, "PING");
                if (reply.Text is "PONG" || reply.Text?.StartsWith("NOAUTH", StringComparison.Ordinal) == true || reply.Text?.StartsWith("LOADING", StringComparison.Ordinal) == true)
                {
                    return;
                }
            }
            catch (SocketException)
            {
                // not listening yet
            }

            Assert.True(DateTime.UtcNow < deadline, $"redis-server on port {Port} did not answer: {Log}");
            await Task.Delay(20);
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }
}

/// <summary>redis-cli, run without a shell; the password goes through REDISCLI_AUTH, not the command line.</summary>
internal static class RedisCli
{
    public static async Task<string> RunAsync(string host, int port, string? password, params string[] args)
    {
        var start = new ProcessStartInfo("/usr/bin/redis-cli")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "-h", host, "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture) }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        if (password is not null)
        {
            start.Environment["REDISCLI_AUTH"] = password;
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"redis-cli {string.Join(' ', args)} failed: {error}");
        return output;
    }

    /// <summary>One field of an INFO reply as redis-cli prints it.</summary>
    public static string Field(string info, string key) =>
        info.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(l => l.StartsWith(key + ":", StringComparison.Ordinal))?[(key.Length + 1)..]
        ?? throw new KeyNotFoundException($"{key} not in INFO output");
}

/// <summary>The shared test Redis (PORTAL_TEST_REDIS = "host:port,password=...").</summary>
internal static class SharedRedis
{
    public static (string Host, int Port, string? Password) Endpoint
    {
        get
        {
            var raw = TestEnvironment.Redis is { Length: > 0 } r
                ? r
                : throw new InvalidOperationException("PORTAL_TEST_REDIS is not set. Run the tests through scripts/test.sh, which starts Redis for them.");
            var parts = raw.Split(',');
            var colon = parts[0].LastIndexOf(':');
            var password = parts.Skip(1).Select(p => p.Split('=', 2)).FirstOrDefault(kv => kv[0].Trim() == "password")?[1];
            return (parts[0][..colon], int.Parse(parts[0][(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture), password);
        }
    }

    public static ProbeTarget Target(string? password = null)
    {
        var (host, port, pw) = Endpoint;
        return ProbeHarness.LocalTarget(TargetKind.Redis, host: host, port: port) with
        {
            Password = (password ?? pw) is { } p ? new Secret(p) : null,
        };
    }

    public static ProbeTarget TargetWithoutPassword() => Target() with { Password = null };

    public static Task<string> CliAsync(params string[] args)
    {
        var (host, port, pw) = Endpoint;
        return RedisCli.RunAsync(host, port, pw, args);
    }
}
