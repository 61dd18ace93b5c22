using System.Globalization;
using Portal.Probes.Contract;
using Portal.Probes.Probes.Host;
using Portal.Probes.Ssh;

namespace Portal.Probes.Tests.Host;

/// <summary>Host keys, authentication, connection reuse and live output over a real sshd.</summary>
[Collection(SshCollection.Name)]
public sealed class SshConnectionTests(SshFixture ssh) : IDisposable
{
    private readonly string _dir = HostTestSupport.TempDirectory();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task ChangedHostKey_IsRefused_ClassifiedWithBothFingerprints()
    {
        var pinned = await ssh.Server.OtherFingerprintAsync();

        var result = await ProbeHarness.RunAsync(new HostMemoryProbe(ssh.Provider), ssh.Remote(HostTestSupport.Target(), ssh.Server.Settings(fingerprint: pinned)));

        Assert.Equal("host_key_changed", result.Findings["ssh.error"]);
        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Contains("CHANGED", result.Verdict.Summary, StringComparison.Ordinal);
        Assert.Contains(pinned, result.Verdict.Summary, StringComparison.Ordinal);
        Assert.Contains(ssh.Server.HostKeyFingerprint, result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnpinnedHostKey_IsRefused_AskingAnAdminToTrustIt()
    {
        var result = await ProbeHarness.RunAsync(new SystemdUnitProbe(ssh.Provider), ssh.Remote(HostTestSupport.Target(), ssh.Server.Settings(fingerprint: null)), new() { ["unit"] = "platform-api" });

        Assert.Equal("host_key_unknown", result.Findings["ssh.error"]);
        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Contains(ssh.Server.HostKeyFingerprint, result.Verdict.Summary, StringComparison.Ordinal);
        Assert.Contains("admin", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScanHostKey_ReturnsTheServersFingerprint()
    {
        var scanned = await SshConnection.ScanHostKeyAsync("127.0.0.1", ssh.Server.Port, new SshOptions(), CancellationToken.None);

        Assert.Equal(ssh.Server.HostKeyFingerprint, scanned);
    }

    [Fact]
    public async Task WrongPrivateKey_IsAnAuthenticationFailure()
    {
        var stranger = await ssh.Server.UnauthorizedKeyAsync();

        var result = await ProbeHarness.RunAsync(new HostCpuProbe(ssh.Provider), ssh.Remote(HostTestSupport.Target(), ssh.Server.Settings(privateKey: stranger)), new() { ["interval"] = "1" });

        Assert.Equal("auth_failed", result.Findings["ssh.error"]);
        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Contains("authentication failed", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GarbagePrivateKey_IsClassifiedAsBadKey()
    {
        var result = await ProbeHarness.RunAsync(new HostCpuProbe(ssh.Provider), ssh.Remote(HostTestSupport.Target(), ssh.Server.Settings(privateKey: "not a key")), new() { ["interval"] = "1" });

        Assert.Equal("bad_key", result.Findings["ssh.error"]);
    }

    [Fact]
    public async Task NothingListening_IsRefusedClassified()
    {
        var settings = ssh.Server.Settings() with { Port = 1 };

        var result = await ProbeHarness.RunAsync(new HostCpuProbe(ssh.Provider), ssh.Remote(HostTestSupport.Target(), settings), new() { ["interval"] = "1" });

        Assert.Equal("refused", result.Findings["ssh.error"]);
    }

    [Fact]
    public async Task OneConnectionPerTarget_IsReused_AndClosedWhenIdle()
    {
        using var pool = new SshConnections(new SshOptions { IdleTimeout = TimeSpan.FromMilliseconds(300) });
        var settings = ssh.Server.Settings();
        SshConnection first;
        using (var a = await pool.AcquireAsync(settings, CancellationToken.None))
        using (var b = await pool.AcquireAsync(settings, CancellationToken.None))
        {
            Assert.Same(a.Connection, b.Connection);
            first = a.Connection;
            Assert.Equal(1, pool.OpenConnections);
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (pool.OpenConnections > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Equal(0, pool.OpenConnections);
        Assert.False(first.IsConnected);
    }

    [Fact]
    public async Task ParallelCommands_AreCappedPerConnection()
    {
        using var pool = new SshConnections(new SshOptions { MaxChannels = 2 });
        using var lease = await pool.AcquireAsync(ssh.Server.Settings(), CancellationToken.None);
        var log = Path.Combine(_dir, "f.log");
        await File.WriteAllTextAsync(log, "a\n");
        await using var one = await lease.Connection.StartAsync(RemoteCommands.Streaming("/usr/bin/tail", ["-f", log]), printsPid: true, CancellationToken.None);
        await using var two = await lease.Connection.StartAsync(RemoteCommands.Streaming("/usr/bin/tail", ["-f", log]), printsPid: true, CancellationToken.None);

        Assert.Equal(2, lease.Connection.ChannelsInUse);
        var third = Task.Run(() => lease.Connection.RunAsync(RemoteCommands.Cat(log), TimeSpan.FromMilliseconds(500), CancellationToken.None));
        Assert.True((await third).TimedOut, "a third channel opened beyond the cap");
    }

    [Fact]
    public async Task StreamingCommand_DeliversAppendedLines_AndDisposeKillsTheRemoteProcess()
    {
        using var lease = await ssh.Connections.AcquireAsync(ssh.Server.Settings(), CancellationToken.None);
        var log = Path.Combine(_dir, "follow.log");
        await File.WriteAllTextAsync(log, "first\n");
        // journalctl -f needs a running systemd; tail -f is the same kind of endless follower.
        var running = await lease.Connection.StartAsync(RemoteCommands.Streaming("/usr/bin/tail", ["-n", "1", "-f", log]), printsPid: true, CancellationToken.None);
        var pid = running.ProcessId;
        try
        {
            Assert.True(pid > 0);
            Assert.True(Directory.Exists($"/proc/{pid}"), "the remote tail runs (this machine is the remote)");
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            Assert.Equal("first", await running.ReadLineAsync(cts.Token));
            await File.AppendAllTextAsync(log, "second\n");
            Assert.Equal("second", await running.ReadLineAsync(cts.Token));
        }
        finally
        {
            await running.DisposeAsync();
        }

        await WaitGoneAsync(pid);
    }

    [Fact]
    public async Task LogSearchFollow_OverSsh_StreamsAppendedLines_AndStopsWhenCancelled()
    {
        var log = Path.Combine(_dir, "api.log");
        await File.WriteAllTextAsync(log, "1 boot\n");
        var probe = new LogSearchProbe(ssh.Provider);
        var validation = ParameterValidator.Validate(probe.Descriptor, new Dictionary<string, string?> { ["pattern"] = "register", ["follow_seconds"] = "600" });
        var request = new ProbeRequest { Target = ssh.Remote(HostTestSupport.Target(logPaths: [log])), Parameters = validation.Values, Network = new Portal.Probes.Network.NetworkGuard() };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var seen = new List<string>();
        var enumerator = probe.RunAsync(request, cts.Token).GetAsyncEnumerator(cts.Token);
        var appended = 0;
        while (await enumerator.MoveNextAsync())
        {
            if (enumerator.Current is OutputLine { Text: var text })
            {
                seen.Add(text);
                if (text.StartsWith("Following", StringComparison.Ordinal) || (text.Contains("register", StringComparison.Ordinal) && appended < 3))
                {
                    appended++;
                    await File.AppendAllTextAsync(log, $"{appended + 1} POST /register user{appended}\n");
                }

                if (text.Contains("user3", StringComparison.Ordinal))
                {
                    await cts.CancelAsync();
                }
            }
        }

        await enumerator.DisposeAsync();
        Assert.Contains(seen, l => l.EndsWith("POST /register user1", StringComparison.Ordinal));
        Assert.Contains(seen, l => l.EndsWith("POST /register user3", StringComparison.Ordinal));
        Assert.False(cts.IsCancellationRequested && seen.Count == 0);
        // Nothing keeps reading the log on the remote side once the run is stopped.
        await WaitAsync(() => !RemoteReadersOf(log).Any(), "a remote reader of the log is still running");
    }

    private static IEnumerable<int> RemoteReadersOf(string path)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            string cmdline;
            try
            {
                cmdline = File.ReadAllText($"{dir}/cmdline").Replace('\0', ' ');
            }
            catch (IOException)
            {
                continue;
            }

            if (cmdline.Contains(path, StringComparison.Ordinal) && pid != Environment.ProcessId)
            {
                yield return pid;
            }
        }
    }

    private static Task WaitGoneAsync(int pid) => WaitAsync(() => !File.Exists($"/proc/{pid}/cmdline") || IsZombie(pid), $"remote process {pid} is still running");

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }

    private static async Task WaitAsync(Func<bool> condition, string message)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, message);
            await Task.Delay(50);
        }
    }
}
