using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Portal.Probes.Contract;

namespace Portal.Testing;

/// <summary>
/// A private OpenSSH server (Debian's /usr/sbin/sshd) for the SSH tests: its own generated host key,
/// config and authorized key, on a free loopback port, for the user the tests run as (root in CI:
/// key-only root login, loopback only). The machine's own sshd and its config are never touched.
/// </summary>
public sealed class SshServer : IAsyncDisposable
{
    public const string Sshd = "/usr/sbin/sshd";

    private readonly Process _process;

    private SshServer(Process process, string directory, int port, string fingerprint)
    {
        _process = process;
        Directory = directory;
        Port = port;
        HostKeyFingerprint = fingerprint;
    }

    public string Directory { get; }

    public int Port { get; }

    public string User { get; } = Environment.UserName;

    /// <summary>The SHA256 fingerprint of the server's host key, as ssh-keygen prints it.</summary>
    public string HostKeyFingerprint { get; }

    /// <summary>The authorized private key (OpenSSH format).</summary>
    public string PrivateKey => File.ReadAllText(Path.Combine(Directory, "client_key"));

    /// <summary>SSH settings for a target on this server: the authorized key, the real fingerprint pinned unless told otherwise.</summary>
    public SshSettings Settings(string? fingerprint = "", string? privateKey = null) => new()
    {
        Host = "127.0.0.1",
        Port = Port,
        User = User,
        PrivateKey = new Secret(privateKey ?? PrivateKey),
        HostKeyFingerprint = fingerprint == "" ? HostKeyFingerprint : fingerprint,
    };

    public static async Task<SshServer> StartAsync()
    {
        if (!File.Exists(Sshd))
        {
            throw new InvalidOperationException($"{Sshd} is missing: install Debian's openssh-server (scripts/test.sh does).");
        }

        var dir = Path.Combine(Path.GetTempPath(), "portal-sshd-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(dir);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        await KeygenAsync(Path.Combine(dir, "host_key"));
        await KeygenAsync(Path.Combine(dir, "client_key"));
        File.Copy(Path.Combine(dir, "client_key.pub"), Path.Combine(dir, "authorized_keys"));
        var fingerprint = await FingerprintAsync(Path.Combine(dir, "host_key.pub"));

        // sshd running as root insists on its privilege separation directory (the service unit makes it).
        if (Environment.UserName == "root" && !System.IO.Directory.Exists("/run/sshd"))
        {
            System.IO.Directory.CreateDirectory("/run/sshd");
        }

        var port = FreePort();
        var config = Path.Combine(dir, "sshd_config");
        await File.WriteAllTextAsync(config, $"""
            Port {port}
            ListenAddress 127.0.0.1
            HostKey {dir}/host_key
            PidFile {dir}/sshd.pid
            AuthorizedKeysFile {dir}/authorized_keys
            AllowUsers {Environment.UserName}
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PermitRootLogin prohibit-password
            UsePAM no
            StrictModes no
            MaxSessions 20
            MaxStartups 50
            LogLevel VERBOSE

            """);
        var info = new ProcessStartInfo(Sshd) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-D", "-e", "-f", config })
        {
            info.ArgumentList.Add(a);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("sshd did not start");
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var server = new SshServer(process, dir, port, fingerprint);
        var deadline = Stopwatch.StartNew();
        while (!await AnswersAsync(port))
        {
            if (process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(20))
            {
                await server.DisposeAsync();
                throw new InvalidOperationException($"sshd did not come up on 127.0.0.1:{port} (exited: {process.HasExited}).");
            }

            await Task.Delay(50);
        }

        return server;
    }

    /// <summary>A fresh key pair that this server does not authorize (private key text).</summary>
    public async Task<string> UnauthorizedKeyAsync()
    {
        var path = Path.Combine(Directory, "stranger_" + Guid.NewGuid().ToString("N")[..6]);
        await KeygenAsync(path);
        return await File.ReadAllTextAsync(path);
    }

    /// <summary>The fingerprint of a host key this server does not have.</summary>
    public async Task<string> OtherFingerprintAsync()
    {
        var path = Path.Combine(Directory, "other_host_" + Guid.NewGuid().ToString("N")[..6]);
        await KeygenAsync(path);
        return await FingerprintAsync(path + ".pub");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static async Task KeygenAsync(string path) =>
        await RunAsync("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "portal-test", "-f", path);

    private static async Task<string> FingerprintAsync(string publicKey) =>
        (await RunAsync("/usr/bin/ssh-keygen", "-l", "-E", "sha256", "-f", publicKey)).Split(' ')[1];

    private static async Task<string> RunAsync(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"{program} failed: {error}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<bool> AnswersAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            var buffer = new byte[8];
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            var n = await client.GetStream().ReadAsync(buffer, cts.Token);
            return n >= 4 && System.Text.Encoding.ASCII.GetString(buffer, 0, 4) == "SSH-";
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }
}
