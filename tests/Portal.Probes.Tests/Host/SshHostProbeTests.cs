using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Portal.Probes.Contract;
using Portal.Probes.Probes.Host;

namespace Portal.Probes.Tests.Host;

/// <summary>
/// Every host-level probe run over SSH (a real sshd on loopback, so the remote machine is this one)
/// against the same probe run locally: the same findings and the same verdict rules.
/// </summary>
[Collection(SshCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SshHostProbeTests(SshFixture ssh) : IDisposable
{
    private readonly string _dir = HostTestSupport.TempDirectory();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task PortOwner_OverSsh_SameOwnerAsLocally()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);

        var (local, remote) = await BothAsync(p => new PortOwnerProbe(p), HostTestSupport.Target(units: ["platform-api"]), new() { ["port"] = port });

        Assert.Equal(Environment.ProcessId.ToString(CultureInfo.InvariantCulture), remote.Findings["port.owner.pid"]);
        AssertSame(local, remote);
    }

    [Fact]
    public async Task PortOwner_FreePort_PassesBothWays()
    {
        var (local, remote) = await BothAsync(p => new PortOwnerProbe(p), HostTestSupport.Target(), new() { ["port"] = "1" });

        Assert.Equal(VerdictStatus.Pass, remote.Verdict.Status);
        AssertSame(local, remote);
    }

    [Fact]
    public async Task SystemdUnit_OverSsh_SameAnswerAsLocally()
    {
        var (local, remote) = await BothAsync(p => new SystemdUnitProbe(p), HostTestSupport.Target(), new() { ["unit"] = "platform-api" });

        AssertSame(local, remote);
        Assert.Contains("systemd.available", remote.Findings.Keys);
    }

    [Fact]
    public async Task JournalTail_OverSsh_SameAnswerAsLocally()
    {
        var (local, remote) = await BothAsync(p => new JournalTailProbe(p), HostTestSupport.Target(), new() { ["unit"] = "platform-api", ["follow_seconds"] = "0" });

        AssertSame(local, remote);
        Assert.Contains("journal.available", remote.Findings.Keys);
    }

    [Fact]
    public async Task LogSearch_OverSsh_SameMatchesAsLocally_WholeFileAndTailWindow()
    {
        var log = Path.Combine(_dir, "api.log");
        await File.WriteAllLinesAsync(log, Enumerable.Range(1, 3000).Select(i => i % 7 == 0 ? $"{i} ERROR register failed for user{i}" : $"{i} INFO ok {new string('x', i % 50)}"));
        var target = HostTestSupport.Target(logPaths: [log]);

        var (local, remote) = await BothAsync(p => new LogSearchProbe(p), target, new() { ["pattern"] = "register", ["max_matches"] = "5" });
        AssertSame(local, remote);
        Assert.Equal("428", remote.Findings["log.matches"]);

        var (localTail, remoteTail) = await BothAsync(p => new LogSearchProbe(p), target, new() { ["pattern"] = "ERROR", ["max_bytes"] = "4096", ["before"] = "1" });
        AssertSame(localTail, remoteTail);
        Assert.Equal("relative", remoteTail.Findings["log.line_numbers"]);
    }

    [Fact]
    public async Task LogSearch_MissingFile_FailsBothWays()
    {
        var log = Path.Combine(_dir, "missing.log");
        var (local, remote) = await BothAsync(p => new LogSearchProbe(p), HostTestSupport.Target(logPaths: [log]), new() { ["pattern"] = "x" });

        Assert.Equal("not_found", remote.Findings["log.error"]);
        AssertSame(local, remote);
    }

    [Fact]
    public async Task HostMemory_OverSsh_SameFactsAndRule()
    {
        var (local, remote) = await BothAsync(p => new HostMemoryProbe(p), HostTestSupport.Target(), new() { ["top"] = "5" });

        Assert.Equal(Keys(local), Keys(remote));
        Assert.Equal(local.Findings["host.memory.total_bytes"], remote.Findings["host.memory.total_bytes"]);
        Assert.InRange(Number(remote, "host.memory.used_pct"), Number(local, "host.memory.used_pct") - 5, Number(local, "host.memory.used_pct") + 5);
        Assert.Equal(Rule(Number(remote, "host.memory.used_pct"), HostMemoryProbe.FailAbove, HostMemoryProbe.WarnAbove), remote.Verdict.Status);
        Assert.Equal(Rule(Number(local, "host.memory.used_pct"), HostMemoryProbe.FailAbove, HostMemoryProbe.WarnAbove), local.Verdict.Status);
    }

    [Fact]
    public async Task HostCpu_OverSsh_SameFactsAndRule()
    {
        var (local, remote) = await BothAsync(p => new HostCpuProbe(p), HostTestSupport.Target(), new() { ["interval"] = "1" });

        Assert.Equal(Keys(local).Where(k => !k.StartsWith("host.cpu.top", StringComparison.Ordinal)), Keys(remote).Where(k => !k.StartsWith("host.cpu.top", StringComparison.Ordinal)));
        Assert.Equal(local.Findings["host.cpu.cores"], remote.Findings["host.cpu.cores"]);
        Assert.Equal(Rule(Number(remote, "host.cpu.used_pct"), HostCpuProbe.FailAbove, HostCpuProbe.WarnAbove), remote.Verdict.Status);
    }

    [Fact]
    public async Task ProcessInspect_OverSsh_SameProcessFacts()
    {
        using var sleeper = HostTestSupport.Spawn("/bin/sleep", "300");
        try
        {
            var parameters = new Dictionary<string, string?> { ["pid"] = sleeper.Id.ToString(CultureInfo.InvariantCulture) };
            var (local, remote) = await BothAsync(p => new ProcessInspectProbe(p), HostTestSupport.Target(), parameters);

            Assert.Equal("sleep", remote.Findings["process.name"]);
            foreach (var key in new[] { "process.found", "process.count", "process.pid", "process.name", "process.state", "process.user", "process.threads", "process.open_files" })
            {
                Assert.Equal(local.Findings[key], remote.Findings[key]);
            }

            Assert.Equal(Keys(local), Keys(remote));
            Assert.Equal(local.Verdict.Status, remote.Verdict.Status);
        }
        finally
        {
            sleeper.Kill();
        }
    }

    [Fact]
    public async Task FilePermissions_OverSsh_SameAnswer()
    {
        var log = Path.Combine(_dir, "api.log");
        await File.WriteAllTextAsync(log, "x\n");
        File.SetUnixFileMode(log, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.SetUnixFileMode(_dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        var (local, remote) = await BothAsync(p => new FilePermissionsProbe(p), HostTestSupport.Target(logPaths: [log]), new() { ["path"] = log, ["user"] = "nobody" });

        Assert.Equal("false", remote.Findings["file.readable"]);
        AssertSame(local, remote);
    }

    [Fact]
    public async Task ConfigCheck_OverSsh_SameAnswer()
    {
        var file = Path.Combine(_dir, "api.json");
        await File.WriteAllTextAsync(file, """{ "database": { "host": "db1", "password": "hunter2-secret" }, "debug": false }""");

        var (local, remote) = await BothAsync(p => new ConfigCheckProbe(p, [_dir]), HostTestSupport.Target(), new() { ["path"] = file, ["required_keys"] = "database.host,database.port" });

        Assert.Equal("database.port", remote.Findings["config.missing_keys"]);
        AssertSame(local, remote);
    }

    [Fact]
    public async Task NetTrace_OverSsh_SameRoute()
    {
        var (local, remote) = await BothAsync(p => new NetTraceProbe(p), HostTestSupport.Target(), new() { ["max_hops"] = "3" });

        Assert.Equal(Keys(local), Keys(remote));
        Assert.Equal(local.Findings.GetValueOrDefault("net.trace.tool"), remote.Findings.GetValueOrDefault("net.trace.tool"));
        Assert.Equal(local.Findings.GetValueOrDefault("net.trace.reached"), remote.Findings.GetValueOrDefault("net.trace.reached"));
        Assert.Equal(local.Verdict.Status, remote.Verdict.Status);
    }

    private async Task<(ProbeResult Local, ProbeResult Remote)> BothAsync(Func<IHostAccessProvider, IProbe> make, ProbeTarget target, Dictionary<string, string?> parameters)
    {
        var local = await ProbeHarness.RunAsync(make(HostAccessProvider.Fixed(HostAccess.Local)), target, parameters);
        var remote = await ProbeHarness.RunAsync(make(ssh.Provider), ssh.Remote(target), parameters);
        Assert.DoesNotContain("ssh.error", remote.Findings.Keys);
        return (local, remote);
    }

    /// <summary>Every finding, value for value, and the verdict.</summary>
    private static void AssertSame(ProbeResult local, ProbeResult remote)
    {
        Assert.Equal(local.Findings.OrderBy(f => f.Key, StringComparer.Ordinal), remote.Findings.OrderBy(f => f.Key, StringComparer.Ordinal));
        Assert.Equal(local.Verdict, remote.Verdict);
    }

    private static List<string> Keys(ProbeResult r) => [.. r.Findings.Keys.Order(StringComparer.Ordinal)];

    private static double Number(ProbeResult r, string key) => double.Parse(r.Findings[key], CultureInfo.InvariantCulture);

    private static VerdictStatus Rule(double pct, double fail, double warn) => pct > fail ? VerdictStatus.Fail : pct > warn ? VerdictStatus.Warn : VerdictStatus.Pass;
}
