using Portal.Probes.Contract;
using Portal.Probes.Probes.Host;

namespace Portal.Probes.Tests.Host;

public sealed class SystemdUnitProbeTests
{
    private readonly SystemdUnitProbe _probe = new();

    [Fact]
    public async Task Run_NoSystemdOnThisMachine_SaysSoClearly()
    {
        Assert.False(Directory.Exists("/run/systemd/system")); // this test runs where systemd is not PID 1

        var result = await ProbeHarness.RunAsync(_probe, HostTestSupport.Target(units: ["platform-api"]), new() { ["unit"] = "platform-api" });

        Assert.Equal(VerdictStatus.Error, result.Verdict.Status);
        Assert.Equal("false", result.Findings["systemd.available"]);
        Assert.Contains("systemd is not running here", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_SystemctlCannotReachSystemd_IsAnErrorWithItsMessage()
    {
        // Real systemctl, told systemd is there: it cannot reach the bus and says why.
        var probe = new SystemdUnitProbe(new HostAccess(new SystemdPresentFiles(), new LocalHostCommands()));

        var result = await ProbeHarness.RunAsync(probe, HostTestSupport.Target(), new() { ["unit"] = "platform-api" });

        Assert.Equal(VerdictStatus.Error, result.Verdict.Status);
        Assert.Contains("systemctl show platform-api failed", result.Verdict.Summary, StringComparison.Ordinal);
        Assert.Contains("systemctl show platform-api --property=LoadState,ActiveState", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_UnitNotOfTheTarget_IsRefused()
    {
        var result = await ProbeHarness.RunAsync(_probe, HostTestSupport.Target(units: ["platform-api"]), new() { ["unit"] = "sshd" });

        Assert.Equal(VerdictStatus.Error, result.Verdict.Status);
        Assert.Contains("not one of target", result.Verdict.Summary, StringComparison.Ordinal);
        Assert.DoesNotContain("systemd.available", result.Findings.Keys);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-H")]
    [InlineData("a b")]
    [InlineData("../etc")]
    [InlineData("unit;reboot")]
    public void Validate_UnsafeUnitNames_AreRefused(string unit)
    {
        Assert.False(ParameterValidator.Validate(_probe.Descriptor, new Dictionary<string, string?> { ["unit"] = unit }).IsValid);
    }

    [Fact]
    public void Report_ActiveUnit_PassesWithEveryFinding()
    {
        // Output of `systemctl show` on a Debian 12 host for a running service.
        const string output = """
            MainPID=812
            NRestarts=2
            ExecMainStartTimestamp=Tue 2025-06-24 10:00:01 UTC
            ExecMainCode=0
            ExecMainStatus=0
            Result=success
            LoadState=loaded
            ActiveState=active
            SubState=running
            UnitFileState=enabled
            """;

        var events = SystemdUnitProbe.Report("platform-api", SystemdUnitProbe.Parse(output)).ToList();
        var findings = events.OfType<Finding>().ToDictionary(f => f.Key, f => f.Value);

        Assert.Equal(VerdictStatus.Pass, Assert.IsType<Verdict>(events[^1]).Status);
        Assert.Equal("active", findings["systemd.unit.active_state"]);
        Assert.Equal("running", findings["systemd.unit.sub_state"]);
        Assert.Equal("loaded", findings["systemd.unit.load_state"]);
        Assert.Equal("812", findings["systemd.unit.main_pid"]);
        Assert.Equal("2", findings["systemd.unit.restarts"]);
        Assert.Equal("0", findings["systemd.unit.exit_status"]);
    }

    [Theory]
    [InlineData("LoadState=loaded\nActiveState=failed\nSubState=failed\nExecMainStatus=1\nResult=exit-code", VerdictStatus.Fail, "failed")]
    [InlineData("LoadState=loaded\nActiveState=activating\nSubState=auto-restart\nNRestarts=5", VerdictStatus.Warn, "activating")]
    [InlineData("LoadState=not-found\nActiveState=inactive\nSubState=dead", VerdictStatus.Fail, "inactive")]
    public void Report_UnitNotRunning_FailsOrWarns(string output, VerdictStatus expected, string activeState)
    {
        var events = SystemdUnitProbe.Report("platform-api", SystemdUnitProbe.Parse(output)).ToList();

        Assert.Equal(expected, Assert.IsType<Verdict>(events[^1]).Status);
        Assert.Contains(events, e => e is Finding { Key: "systemd.unit.active_state" } f && f.Value == activeState);
    }
}
