using Portal.Probes.Contract;
using Portal.Probes.Probes.Host;

namespace Portal.Probes.Tests.Host;

/// <summary>
/// Real files and directories chmod/chown-ed as root; the kernel itself is the oracle: the same
/// access is tried as the user with setpriv (real uid/gid/groups) and must agree with the probe.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FilePermissionsProbeTests : IDisposable
{
    private readonly FilePermissionsProbe _probe = new();
    private readonly string _dir = HostTestSupport.TempDirectory();

    public FilePermissionsProbeTests() => File.SetUnixFileMode(_dir, Mode("755"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Run_RootOwnedFile0600_NobodyCannotRead_FailsNamingTheFile()
    {
        var log = Create("api.log", "600", "root", "root");

        var result = await Run(log, new() { ["path"] = log, ["user"] = "nobody" });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("true", result.Findings["file.exists"]);
        Assert.Equal("root", result.Findings["file.owner"]);
        Assert.Equal("root", result.Findings["file.group"]);
        Assert.Equal("0600", result.Findings["file.mode"]);
        Assert.Equal("-rw-------", result.Findings["file.mode_symbolic"]);
        Assert.Equal("false", result.Findings["file.readable"]);
        Assert.Equal("false", result.Findings["file.writable"]);
        Assert.DoesNotContain("file.blocked_by", result.Findings.Keys);
        Assert.Equal($"{log} is 0600 root:root — user nobody cannot read it.", result.Verdict.Summary);
        Assert.False(AsUser("nobody", "-r", log));
    }

    [Fact]
    public async Task Run_NobodyOwnsIt0600_NobodyCanReadAndWrite_PassesWithNeedWrite()
    {
        var log = Create("api.log", "600", "nobody", "nogroup");

        var result = await Run(log, new() { ["path"] = log, ["user"] = "nobody", ["need"] = "write" });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("nobody", result.Findings["file.owner"]);
        Assert.Equal("nogroup", result.Findings["file.group"]);
        Assert.Equal("true", result.Findings["file.readable"]);
        Assert.Equal("true", result.Findings["file.writable"]);
        Assert.True(AsUser("nobody", "-r", log));
        Assert.True(AsUser("nobody", "-w", log));
    }

    [Fact]
    public async Task Run_ReadOnlyForTheUser_NeedWrite_FailsSayingItCannotWrite()
    {
        var log = Create("api.log", "644", "root", "root");

        var read = await Run(log, new() { ["path"] = log, ["user"] = "nobody" });
        var write = await Run(log, new() { ["path"] = log, ["user"] = "nobody", ["need"] = "write" });

        Assert.Equal(VerdictStatus.Pass, read.Verdict.Status);
        Assert.Equal(VerdictStatus.Fail, write.Verdict.Status);
        Assert.Equal("false", write.Findings["file.writable"]);
        Assert.EndsWith("user nobody can read it but cannot write it.", write.Verdict.Summary, StringComparison.Ordinal);
        Assert.False(AsUser("nobody", "-w", log));
    }

    [Fact]
    public async Task Run_ParentDirectory0700_IsTheBlockerEvenForAReadableFile()
    {
        var inner = Path.Combine(_dir, "platform");
        Directory.CreateDirectory(inner);
        File.SetUnixFileMode(inner, Mode("700"));
        var log = Path.Combine(inner, "api.log");
        await File.WriteAllTextAsync(log, "x\n");
        File.SetUnixFileMode(log, Mode("644"));

        var result = await Run(log, new() { ["path"] = log, ["user"] = "nobody" });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal(inner, result.Findings["file.blocked_by"]);
        Assert.Equal("false", result.Findings["file.readable"]);
        Assert.StartsWith($"{inner} is 0700 root:root — user nobody cannot enter it", result.Verdict.Summary, StringComparison.Ordinal);
        Assert.Contains($"{inner}   <- nobody cannot enter", result.Output, StringComparison.Ordinal);
        Assert.False(AsUser("nobody", "-r", log));
    }

    [Fact]
    public async Task Run_EveryParentUpToRoot_IsListedWithOwnerAndMode()
    {
        var log = Create("api.log", "640", "root", "root");

        var result = await Run(log, new() { ["path"] = log, ["user"] = "root" });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        var lines = result.Events.OfType<OutputLine>().Where(l => l.Stream == OutputStream.Stdout).Select(l => l.Text).ToList();
        Assert.Equal(["/", "/tmp", _dir, log], lines.Select(l => l.Split("  ")[^1].Split("   <-")[0]).ToList());
        Assert.StartsWith("drwxrwxrwt root", lines[1], StringComparison.Ordinal);
        Assert.Contains(" 1777  /tmp", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_SupplementaryGroupMember_CanReadAGroupReadableFile()
    {
        // nobody joins group 4242 (only in the probe's view of /etc/group; setpriv gives the kernel the same groups).
        var log = Create("api.log", "640", "root", "4242");
        var probe = new FilePermissionsProbe(new HostAccess(new ExtraGroupFiles("portaltest:x:4242:daemon,nobody"), new LocalHostCommands()));

        var result = await ProbeHarness.RunAsync(probe, HostTestSupport.Target(logPaths: [log]), new() { ["path"] = log, ["user"] = "nobody" });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("portaltest", result.Findings["file.group"]);
        Assert.Equal("true", result.Findings["file.readable"]);
        Assert.Equal("false", result.Findings["file.writable"]);
        Assert.True(AsUser("nobody", "-r", log, extraGroup: 4242));
        Assert.False(AsUser("nobody", "-r", log));
    }

    [Fact]
    public async Task Run_OwnerClassDeniesEvenWhenOtherAllows_LikeTheKernel()
    {
        var log = Create("api.log", "047", "nobody", "root");

        var result = await Run(log, new() { ["path"] = log, ["user"] = "nobody" });

        Assert.Equal("false", result.Findings["file.readable"]);
        Assert.False(AsUser("nobody", "-r", log));
    }

    [Fact]
    public async Task Run_Root_CanReadAndWriteMode0000()
    {
        var log = Create("api.log", "000", "nobody", "nogroup");

        var result = await Run(log, new() { ["path"] = log, ["user"] = "root", ["need"] = "write" });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("true", result.Findings["file.readable"]);
        Assert.Equal("true", result.Findings["file.writable"]);
    }

    [Fact]
    public async Task Run_MissingFile_FailsWithExistsFalseAndSaysWhetherTheUserCouldCreateIt()
    {
        var log = Path.Combine(_dir, "api.log");

        var nobody = await Run(log, new() { ["path"] = log, ["user"] = "nobody" });
        var root = await Run(log, new() { ["path"] = log, ["user"] = "root" });

        Assert.Equal(VerdictStatus.Fail, nobody.Verdict.Status);
        Assert.Equal("false", nobody.Findings["file.exists"]);
        Assert.Equal($"{log} does not exist; {_dir} is 0755 root:root — user nobody cannot create it there.", nobody.Verdict.Summary);
        Assert.Equal(VerdictStatus.Fail, root.Verdict.Status);
        Assert.EndsWith($"user root may create it in {_dir}.", root.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_TheLogDirectoryItself_IsAllowedAndCheckedAsADirectory()
    {
        var log = Create("api.log", "644", "root", "root");

        var result = await Run(log, new() { ["path"] = _dir, ["user"] = "nobody" });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("directory", result.Findings["file.type"]);
        Assert.Equal("0755", result.Findings["file.mode"]);
        Assert.Equal("false", result.Findings["file.writable"]);
    }

    [Fact]
    public async Task Run_AnotherFileInTheLogDirectory_IsAllowed()
    {
        var log = Create("api.log", "644", "root", "root");
        var rotated = Create("api.log.1", "600", "root", "root");

        var result = await Run(log, new() { ["path"] = rotated, ["user"] = "nobody" });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("false", result.Findings["file.readable"]);
    }

    [Fact]
    public async Task Run_LinkInsideTheDirectory_IsResolvedAndTheTargetReported()
    {
        var real = Create("api-2025.log", "600", "nobody", "nogroup");
        var link = Path.Combine(_dir, "api.log");
        File.CreateSymbolicLink(link, real);

        var result = await Run(link, new() { ["path"] = link, ["user"] = "nobody" });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("0600", result.Findings["file.mode"]);
        Assert.Contains($"{link} -> {real}", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NotAllowedPath_IsRefused()
    {
        var log = Create("api.log", "644", "root", "root");

        var result = await Run(log, new() { ["path"] = "/etc/shadow", ["user"] = "nobody" });

        Assert.Equal(VerdictStatus.Error, result.Verdict.Status);
        Assert.Equal("refused_by_policy", result.Findings["file.error"]);
        Assert.DoesNotContain("file.owner", result.Findings.Keys);
    }

    [Fact]
    public async Task Run_FileInASubdirectoryOfTheLogDirectory_IsRefused()
    {
        var log = Create("api.log", "644", "root", "root");
        Directory.CreateDirectory(Path.Combine(_dir, "sub"));
        var deeper = Path.Combine(_dir, "sub", "x.log");
        await File.WriteAllTextAsync(deeper, "x");

        var result = await Run(log, new() { ["path"] = deeper, ["user"] = "nobody" });

        Assert.Equal(VerdictStatus.Error, result.Verdict.Status);
    }

    [Fact]
    public async Task Run_DotDotTraversal_IsRefused()
    {
        var log = Create("api.log", "644", "root", "root");

        var result = await Run(log, new() { ["path"] = $"{_dir}/../../etc/shadow", ["user"] = "nobody" });

        Assert.Equal(VerdictStatus.Error, result.Verdict.Status);
        Assert.Contains("path traversal", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_SymlinkEscapingTheLogDirectory_IsRefused()
    {
        var log = Create("api.log", "644", "root", "root");
        var link = Path.Combine(_dir, "shadow.log");
        File.CreateSymbolicLink(link, "/etc/shadow");

        var result = await Run(log, new() { ["path"] = link, ["user"] = "nobody" });

        Assert.Equal(VerdictStatus.Error, result.Verdict.Status);
        Assert.Equal("refused_by_policy", result.Findings["file.error"]);
        Assert.Contains("is a link to /etc/shadow", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NoUserGiven_TakesTheUserTheServiceRunsAs()
    {
        // A copy of sleep under a unique name, run as nobody: the target's "service".
        var service = "portal-svc-" + Guid.NewGuid().ToString("N")[..6];
        var binary = Path.Combine(_dir, service);
        File.Copy("/usr/bin/sleep", binary);
        File.SetUnixFileMode(binary, Mode("755"));
        using var process = HostTestSupport.Spawn("/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", binary, "60");
        try
        {
            Assert.True(await HostTestSupport.WaitUntilAsync(() => Uid(process.Id) == "65534" && Cmdline(process.Id).StartsWith(binary, StringComparison.Ordinal), TimeSpan.FromSeconds(5)));
            var log = Create("api.log", "600", "root", "root");

            var result = await ProbeHarness.RunAsync(_probe, HostTestSupport.Target(units: [service], logPaths: [log]), new());

            Assert.Equal("nobody", result.Findings["file.user"]);
            Assert.Contains($"the user {service} runs as", result.Output, StringComparison.Ordinal);
            Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Run_NoUserAndNoServiceProcess_IsAnErrorAskingForOne()
    {
        var log = Create("api.log", "644", "root", "root");

        var result = await ProbeHarness.RunAsync(_probe, HostTestSupport.Target(units: ["no-such-service-xyz"], logPaths: [log]), new());

        Assert.Equal(VerdictStatus.Error, result.Verdict.Status);
        Assert.StartsWith("Name a user", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_UnknownUser_IsAnError()
    {
        var log = Create("api.log", "644", "root", "root");

        var result = await Run(log, new() { ["path"] = log, ["user"] = "no_such_user_xyz" });

        Assert.Equal(VerdictStatus.Error, result.Verdict.Status);
        Assert.Contains("no user 'no_such_user_xyz'", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("path", "relative/api.log")]
    [InlineData("path", "/var/log/a b.log")]
    [InlineData("path", "/var/log/$(id)")]
    [InlineData("user", "Root")]
    [InlineData("user", "-nobody")]
    [InlineData("user", "a b")]
    [InlineData("user", "abcdefghijklmnopqrstuvwxyz0123456")]
    public void Validate_UnsafeValues_AreRefused(string name, string value)
    {
        Assert.False(ParameterValidator.Validate(_probe.Descriptor, new Dictionary<string, string?> { [name] = value }).IsValid);
    }

    [Fact]
    public void Validate_PathOver1024Characters_IsRefused()
    {
        Assert.True(ParameterValidator.Validate(_probe.Descriptor, new Dictionary<string, string?> { ["path"] = "/" + new string('a', 1023) }).IsValid);
        Assert.False(ParameterValidator.Validate(_probe.Descriptor, new Dictionary<string, string?> { ["path"] = "/" + new string('a', 1024) }).IsValid);
    }

    private Task<ProbeResult> Run(string log, Dictionary<string, string?> parameters) =>
        ProbeHarness.RunAsync(_probe, HostTestSupport.Target(logPaths: [log]), parameters);

    private string Create(string name, string mode, string owner, string group)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, "line\n");
        Chown(path, $"{owner}:{group}");
        File.SetUnixFileMode(path, Mode(mode));
        return path;
    }

    private static UnixFileMode Mode(string octal) => (UnixFileMode)Convert.ToInt32(octal, 8);

    private static void Chown(string path, string owner)
    {
        using var chown = HostTestSupport.Spawn("/usr/bin/chown", owner, path);
        chown.WaitForExit();
        Assert.Equal(0, chown.ExitCode);
    }

    /// <summary>The kernel's answer: test -r/-w run as the user with its real uid, gid and groups.</summary>
    private static bool AsUser(string user, string test, string path, int? extraGroup = null)
    {
        var groups = extraGroup is { } g ? $"--groups={g}" : "--clear-groups";
        using var p = HostTestSupport.Spawn("/usr/bin/setpriv", $"--reuid={user}", "--regid=nogroup", groups, "/usr/bin/test", test, path);
        p.WaitForExit();
        return p.ExitCode == 0;
    }

    private static string Uid(int pid)
    {
        try
        {
            return File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t')[1];
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    private static string Cmdline(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline");
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    /// <summary>The real file system, with one more line in /etc/group.</summary>
    private sealed class ExtraGroupFiles(string groupLine) : IHostFileSystem
    {
        private readonly LocalHostFileSystem _real = new();

        public string? ReadText(string path) => path == "/etc/group" ? _real.ReadText(path) + groupLine + "\n" : _real.ReadText(path);

        public IReadOnlyList<string> List(string directory) => _real.List(directory);

        public string? ReadLink(string path) => _real.ReadLink(path);

        public bool FileExists(string path) => _real.FileExists(path);

        public bool DirectoryExists(string path) => _real.DirectoryExists(path);

        public string? RealPath(string path) => _real.RealPath(path);

        public long? Length(string path) => _real.Length(path);

        public Stream OpenRead(string path) => _real.OpenRead(path);
    }
}
