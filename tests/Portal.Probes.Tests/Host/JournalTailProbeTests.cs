using System.Diagnostics;
using Portal.Probes.Contract;
using Portal.Probes.Network;
using Portal.Probes.Probes.Host;

namespace Portal.Probes.Tests.Host;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class JournalTailProbeTests
{
    [Fact]
    public async Task Run_NoSystemdOnThisMachine_SaysJournaldIsNotAvailable()
    {
        var result = await ProbeHarness.RunAsync(new JournalTailProbe(), HostTestSupport.Target(), new() { ["unit"] = "platform-api" });

        Assert.Equal(VerdictStatus.Error, result.Verdict.Status);
        Assert.Equal("false", result.Findings["journal.available"]);
        Assert.Contains("journald is not available here", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_JournalctlNotInstalled_SaysJournaldIsNotAvailable()
    {
        var commands = new LocalHostCommands(new Dictionary<string, string[]> { ["journalctl"] = ["/nonexistent/journalctl"] });
        var probe = new JournalTailProbe(new HostAccess(new SystemdPresentFiles(), commands));

        var result = await ProbeHarness.RunAsync(probe, HostTestSupport.Target(), new() { ["unit"] = "platform-api" });

        Assert.Equal(VerdictStatus.Error, result.Verdict.Status);
        Assert.Contains("journalctl is not installed", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_CancelledWhileFollowing_StopsWithin2sAndLeavesNoJournalctl()
    {
        // The real journalctl -f (it waits for journal files that never come here), cancelled after the first event.
        var probe = new JournalTailProbe(new HostAccess(new SystemdPresentFiles(), new LocalHostCommands()));
        var request = Request(new() { ["unit"] = "platform-api", ["follow_seconds"] = "600" });
        using var cts = new CancellationTokenSource();
        var events = new List<ProbeEvent>();
        Stopwatch? sinceCancel = null;

        await foreach (var e in probe.RunAsync(request, cts.Token))
        {
            events.Add(e);
            if (e is OutputLine { Stream: OutputStream.Info })
            {
                Assert.True(await HostTestSupport.WaitUntilAsync(() => HostTestSupport.ChildrenNamed("journalctl").Count == 1, TimeSpan.FromSeconds(5)));
                sinceCancel = Stopwatch.StartNew();
                await cts.CancelAsync();
            }
        }

        Assert.NotNull(sinceCancel);
        Assert.True(sinceCancel.Elapsed < TimeSpan.FromSeconds(2), $"took {sinceCancel.Elapsed}");
        Assert.Empty(HostTestSupport.ChildrenNamed("journalctl"));
        Assert.DoesNotContain(events, e => e is Verdict);
    }

    [Fact]
    public async Task Run_JournalWithErrors_StreamsLinesAndClassifiesThem()
    {
        // A stand-in journalctl (a script printing a recorded journal, then waiting like -f does) streams through the real process path.
        var dir = HostTestSupport.TempDirectory();
        var script = Path.Combine(dir, "journalctl");
        await File.WriteAllTextAsync(script, """
            #!/bin/sh
            echo "2025-06-24T10:00:01+0000 host platform-api[812]: Starting platform API"
            echo "2025-06-24T10:00:02+0000 host platform-api[812]: PermissionError: [Errno 13] Permission denied: '/var/log/platform/api.log'"
            echo "2025-06-24T10:00:03+0000 host platform-api[812]: psycopg2.OperationalError: connection to server at 127.0.0.1 port 5432 failed: Connection refused"
            echo "2025-06-24T10:00:04+0000 host kernel: Out of memory: Killed process 812 (python3)"
            echo "args: $* pid: $$"
            exec sleep 60
            """.Replace("\r", string.Empty));
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var probe = new JournalTailProbe(new HostAccess(new SystemdPresentFiles(), new LocalHostCommands(new Dictionary<string, string[]> { ["journalctl"] = [script] })));

        var watch = Stopwatch.StartNew();
        var result = await ProbeHarness.RunAsync(probe, HostTestSupport.Target(units: ["platform-api"]), new() { ["unit"] = "platform-api", ["lines"] = "200", ["follow_seconds"] = "1" });

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5));
        Assert.Equal(VerdictStatus.Warn, result.Verdict.Status);
        Assert.Contains("Permission denied", result.Findings["journal.match.permission_denied"], StringComparison.Ordinal);
        Assert.Contains("Connection refused", result.Findings["journal.match.connection_refused"], StringComparison.Ordinal);
        Assert.Contains("Killed process 812", result.Findings["journal.match.out_of_memory"], StringComparison.Ordinal);
        Assert.DoesNotContain("journal.match.config_error", result.Findings.Keys);
        Assert.Equal("5", result.Findings["journal.lines"]);
        Assert.Contains("args: -u platform-api -n 200 --no-pager -o short-iso -f", result.Output, StringComparison.Ordinal);
        // This run's own follower (other tests run sleeps of their own at the same time) is gone.
        var pid = System.Text.RegularExpressions.Regex.Match(result.Output, @"pid: (\d+)").Groups[1].Value;
        Assert.NotEmpty(pid);
        Assert.True(await HostTestSupport.WaitUntilAsync(() => !Directory.Exists($"/proc/{pid}"), TimeSpan.FromSeconds(5)), $"journalctl stand-in {pid} still runs");
        Directory.Delete(dir, recursive: true);
    }

    private static ProbeRequest Request(Dictionary<string, string?> parameters)
    {
        var validation = ParameterValidator.Validate(new JournalTailProbe().Descriptor, parameters);
        Assert.True(validation.IsValid);
        return new ProbeRequest { Target = HostTestSupport.Target(), Parameters = validation.Values, Network = new NetworkGuard() };
    }
}
