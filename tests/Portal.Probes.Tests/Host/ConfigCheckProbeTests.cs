using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Portal.Probes.Contract;
using Portal.Probes.Probes.Host;

namespace Portal.Probes.Tests.Host;

/// <summary>
/// Real config files in temp folders (one stands in for /etc/platform). Planted secrets must never
/// appear in any event; jq and python3's yaml module are the outside oracles for validity.
/// </summary>
public sealed class ConfigCheckProbeTests : IDisposable
{
    private const string Secret = "hunter2-S3cr3t-planted";
    private const string UrlSecret = "pgpass-In-Url-9";

    private readonly string _etc = HostTestSupport.TempDirectory();
    private readonly string _logs = HostTestSupport.TempDirectory();
    private readonly ConfigCheckProbe _probe;

    public ConfigCheckProbeTests() => _probe = new ConfigCheckProbe(HostAccess.Local, [_etc]);

    public void Dispose()
    {
        Directory.Delete(_etc, recursive: true);
        Directory.Delete(_logs, recursive: true);
    }

    [Fact]
    public async Task Run_ValidJsonWithRequiredKeys_PassesAndMasksSecrets()
    {
        var file = Write("api.json", $$"""
            {
              // comments are allowed, as in appsettings.json
              "database": { "host": "db1", "port": 5432, "password": "{{Secret}}" },
              "ConnectionStrings": { "Default": "Host=db1;Password={{Secret}}" },
              "api_token": "{{Secret}}",
              "redis_url": "redis://user:{{UrlSecret}}@cache:6379",
              "servers": [ { "name": "a" } ],
              "debug": false
            }
            """);

        var result = await Run(file, "database.host,database.port,database:password,servers.0.name,debug");

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("true", result.Findings["config.exists"]);
        Assert.Equal("true", result.Findings["config.valid"]);
        Assert.Equal("json", result.Findings["config.format"]);
        Assert.Equal("6", result.Findings["config.keys"]);
        Assert.Equal("database,ConnectionStrings,api_token,redis_url,servers,debug", result.Findings["config.top_keys"]);
        Assert.DoesNotContain("config.missing_keys", result.Findings.Keys);
        Assert.Contains("ok       database.host = db1", result.Output, StringComparison.Ordinal);
        Assert.Contains("ok       database:password = ***", result.Output, StringComparison.Ordinal);
        Assert.Contains("redis_url = ***", result.Output, StringComparison.Ordinal);
        Assert.Contains("database = {3 keys}", result.Output, StringComparison.Ordinal);
        Assert.Contains("debug = false", result.Output, StringComparison.Ordinal);
        AssertNoSecret(result);
        Assert.True(Oracle("/usr/bin/jq", "-e", ".", NoComments(file)));
    }

    [Fact]
    public async Task Run_BrokenJson_FailsWithLineAndColumnLikeJqAndNoSecret()
    {
        var file = Write("api.json", $"{{\n  \"password\": \"{Secret}\"\n  \"port\": 5432\n}}\n");

        var result = await Run(file);

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("true", result.Findings["config.exists"]);
        Assert.Equal("false", result.Findings["config.valid"]);
        Assert.Equal("parse_error", result.Findings["config.error"]);
        Assert.Equal("3", result.Findings["config.error_line"]);
        Assert.Equal("3", result.Findings["config.error_column"]);
        Assert.Contains("line 3, column 3", result.Verdict.Summary, StringComparison.Ordinal);
        AssertNoSecret(result);
        var (ok, jqError) = OracleOutput("/usr/bin/jq", ".", file);
        Assert.False(ok);
        Assert.Contains("line 3", jqError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ValidYamlWithNestingAndASecretBlock_PassesAndMasksEverythingUnderIt()
    {
        var file = Write("api.yaml", $"""
            server:
              host: 0.0.0.0
              port: 8000
            credentials:
              user: platform
              pass: {Secret}
            features: [a, b]
            empty:
            """);

        var result = await Run(file, "server.port,credentials.user,empty");

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("yaml", result.Findings["config.format"]);
        Assert.Equal("4", result.Findings["config.keys"]);
        Assert.Contains("ok       server.port = 8000", result.Output, StringComparison.Ordinal);
        Assert.Contains("ok       credentials.user = ***", result.Output, StringComparison.Ordinal);
        Assert.Contains("features = [2 items]", result.Output, StringComparison.Ordinal);
        Assert.Contains("empty = (empty)", result.Output, StringComparison.Ordinal);
        AssertNoSecret(result);
        Assert.True(PyYaml(file));
    }

    [Fact]
    public async Task Run_BrokenYaml_FailsWithLineAndColumnAndNoSecret()
    {
        var file = Write("api.yml", $"server:\n  host: a\n  password: {Secret}\n port: 8000\n");

        var result = await Run(file);

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("false", result.Findings["config.valid"]);
        Assert.Equal("4", result.Findings["config.error_line"]);
        Assert.DoesNotContain("(Line:", result.Verdict.Summary, StringComparison.Ordinal);
        AssertNoSecret(result);
        Assert.False(PyYaml(file));
    }

    [Fact]
    public async Task Run_YamlAliasBomb_FailsFastInsteadOfExpanding()
    {
        var lines = new List<string> { "a: &a [x, x, x, x, x, x, x, x, x, x]" };
        for (var i = 1; i < 12; i++)
        {
            var prev = (char)('a' + i - 1);
            lines.Add($"{(char)('a' + i)}: &{(char)('a' + i)} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]");
        }

        var file = Write("bomb.yaml", string.Join('\n', lines));
        var watch = Stopwatch.StartNew();

        var result = await Run(file);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Contains("nodes", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ValidIniWithSections_FindsSectionDotKeyCaseInsensitively()
    {
        var file = Write("api.ini", $"""
            ; global
            name = platform-api
            [database]
            Host = db1
            port: 5432
            password = "{Secret}"

            [log]
            level=info
            """);

        var result = await Run(file, "database.host,DATABASE.port,log.level,name");

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("ini", result.Findings["config.format"]);
        Assert.Equal("3", result.Findings["config.keys"]);
        Assert.Contains("ok       database.host = db1", result.Output, StringComparison.Ordinal);
        AssertNoSecret(result);
    }

    [Fact]
    public async Task Run_BrokenIni_FailsWithTheLine()
    {
        var file = Write("api.conf", $"[database]\npassword = {Secret}\n  this line has no equals sign\n[unclosed\n");

        var result = await Run(file);

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("ini", result.Findings["config.format"]);
        Assert.Equal("3", result.Findings["config.error_line"]);
        Assert.Equal("3", result.Findings["config.error_column"]);
        AssertNoSecret(result);
    }

    [Fact]
    public async Task Run_ValidEnvFile_PassesAndMasksSecretsAndCredentialUrls()
    {
        var file = Write("api.env", $"""
            # platform api
            export PORT=8000
            DB_PASSWORD='{Secret}'
            DATABASE_URL=postgres://platform:{UrlSecret}@db1/platform
            LOG_LEVEL=info # inline comment
            GREETING="hello world"
            """);

        var result = await Run(file, "PORT,DB_PASSWORD,LOG_LEVEL,MISSING_ONE");

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("env", result.Findings["config.format"]);
        Assert.Equal("5", result.Findings["config.keys"]);
        Assert.Equal("MISSING_ONE", result.Findings["config.missing_keys"]);
        Assert.Contains("LOG_LEVEL = info", result.Output, StringComparison.Ordinal);
        Assert.Contains("GREETING = hello world", result.Output, StringComparison.Ordinal);
        Assert.Contains("MISSING  MISSING_ONE", result.Output, StringComparison.Ordinal);
        AssertNoSecret(result);
    }

    [Fact]
    public async Task Run_BrokenEnvFile_UnclosedQuote_FailsWithLineAndColumn()
    {
        var file = Write(".env", $"A=1\nAPI_TOKEN=\"{Secret}\n");

        var result = await Run(file);

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("env", result.Findings["config.format"]);
        Assert.Equal("2", result.Findings["config.error_line"]);
        Assert.Equal("11", result.Findings["config.error_column"]);
        AssertNoSecret(result);
    }

    [Theory]
    [InlineData("dup.json", "{\"a\": 1, \"a\": 2}")]
    [InlineData("dup.yaml", "a: 1\na: 2\n")]
    public async Task Run_DuplicateKeys_EndWithAVerdictInsteadOfThrowing(string name, string text)
    {
        var file = Write(name, text);

        var result = await Run(file, "a");

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("false", result.Findings["config.valid"]);
        Assert.Contains("uplicate", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_MissingRequiredKeys_FailsListingThem()
    {
        var file = Write("api.json", """{ "database": { "host": "db1" } }""");

        var result = await Run(file, "database.host, database.port ,redis.url");

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("true", result.Findings["config.valid"]);
        Assert.Equal("database.port,redis.url", result.Findings["config.missing_keys"]);
        Assert.Contains("lacks 2 of 3 required keys: database.port, redis.url", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_MissingFile_FailsWithExistsFalse()
    {
        var result = await Run(Path.Combine(_etc, "nope.yaml"));

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("false", result.Findings["config.exists"]);
        Assert.DoesNotContain("config.valid", result.Findings.Keys);
    }

    [Fact]
    public async Task Run_ConfigNextToTheLogs_IsAllowed()
    {
        var log = Path.Combine(_logs, "api.log");
        await File.WriteAllTextAsync(log, "x\n");
        var config = Path.Combine(_logs, "settings.yaml");
        await File.WriteAllTextAsync(config, "a: 1\n");

        var result = await ProbeHarness.RunAsync(_probe, HostTestSupport.Target(logPaths: [log]), new() { ["path"] = config });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
    }

    [Fact]
    public async Task Run_DeeperUnderTheConfigRoot_IsAllowed()
    {
        Directory.CreateDirectory(Path.Combine(_etc, "api"));
        var file = Write(Path.Combine("api", "settings.json"), """{"a":1}""");

        var result = await Run(file);

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
    }

    [Fact]
    public async Task Run_PathOutsideTheAllowlist_IsRefused()
    {
        var result = await Run("/etc/passwd");

        Assert.Equal(VerdictStatus.Error, result.Verdict.Status);
        Assert.Equal("refused_by_policy", result.Findings["config.error"]);
        Assert.DoesNotContain("root:", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_DotDotTraversal_IsRefused()
    {
        var result = await Run($"{_etc}/../../etc/passwd");

        Assert.Equal(VerdictStatus.Error, result.Verdict.Status);
        Assert.Contains("path traversal", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_SymlinkEscapingTheConfigRoot_IsRefused()
    {
        var link = Path.Combine(_etc, "api.env");
        File.CreateSymbolicLink(link, "/etc/passwd");

        var result = await Run(link);

        Assert.Equal(VerdictStatus.Error, result.Verdict.Status);
        Assert.Contains("is a link to /etc/passwd", result.Verdict.Summary, StringComparison.Ordinal);
        Assert.DoesNotContain("root:", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_UnknownExtension_AsksForAFormat_ThenParsesWithIt()
    {
        var file = Write("api.properties", "a=1\n");

        var auto = await Run(file);
        var ini = await ProbeHarness.RunAsync(_probe, HostTestSupport.Target(), new() { ["path"] = file, ["format"] = "ini" });

        Assert.Equal(VerdictStatus.Error, auto.Verdict.Status);
        Assert.Contains("pass format", auto.Verdict.Summary, StringComparison.Ordinal);
        Assert.Equal(VerdictStatus.Pass, ini.Verdict.Status);
    }

    [Fact]
    public async Task Run_TargetWithUnitsWhereSystemdIsAbsent_SaysSoAndStillPasses()
    {
        Assert.False(Directory.Exists("/run/systemd/system"));
        var file = Write("api.json", """{"a":1}""");

        var result = await ProbeHarness.RunAsync(_probe, HostTestSupport.Target(units: ["platform-api"]), new() { ["path"] = file });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("false", result.Findings["systemd.available"]);
        Assert.Contains("systemd is not running here", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_SystemdPresentButUnreachable_ReportsSystemctlsErrorWithoutFailing()
    {
        // Real systemctl, told systemd is there: it cannot reach the bus and says why.
        var probe = new ConfigCheckProbe(new HostAccess(new SystemdPresentFiles(), new LocalHostCommands()), [_etc]);
        var file = Write("api.json", """{"a":1}""");

        var result = await ProbeHarness.RunAsync(probe, HostTestSupport.Target(units: ["platform-api"]), new() { ["path"] = file });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("true", result.Findings["systemd.available"]);
        Assert.Contains("systemctl show platform-api --property=Environment", result.Output, StringComparison.Ordinal);
        Assert.Contains(result.Events.OfType<OutputLine>(), l => l.Stream == OutputStream.Stderr && l.Text.StartsWith("platform-api: systemctl show failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_UnitEnvironment_IsListedWithSecretValuesMasked()
    {
        var commands = new CannedSystemctl($"Environment=LOG_LEVEL=info \"GREETING=hello world\" DB_PASSWORD={Secret} DATABASE_URL=postgres://u:{UrlSecret}@db/x\nEnvironmentFiles=/etc/platform/api.env (ignore_errors=no)\n");
        var probe = new ConfigCheckProbe(new HostAccess(new SystemdPresentFiles(), commands), [_etc]);
        var file = Write("api.json", """{"a":1}""");

        var result = await ProbeHarness.RunAsync(probe, HostTestSupport.Target(units: ["platform-api.service"]), new() { ["path"] = file });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("4", result.Findings["config.unit_env_vars"]);
        Assert.Contains("  LOG_LEVEL=info", result.Output, StringComparison.Ordinal);
        Assert.Contains("  GREETING=hello world", result.Output, StringComparison.Ordinal);
        Assert.Contains("  DB_PASSWORD=***", result.Output, StringComparison.Ordinal);
        Assert.Contains("  DATABASE_URL=***", result.Output, StringComparison.Ordinal);
        Assert.Contains("reads environment from /etc/platform/api.env", result.Output, StringComparison.Ordinal);
        Assert.Equal(["show", "platform-api", "--property=Environment", "--property=EnvironmentFiles", "--no-pager"], commands.Arguments);
        AssertNoSecret(result);
    }

    [Theory]
    [InlineData("required_keys", "a b")]
    [InlineData("required_keys", "a,,b")]
    [InlineData("required_keys", "a;rm")]
    [InlineData("path", "etc/platform/x.json")]
    [InlineData("format", "toml")]
    public void Validate_UnsafeValues_AreRefused(string name, string value)
    {
        Assert.False(ParameterValidator.Validate(_probe.Descriptor, new Dictionary<string, string?> { ["path"] = "/etc/platform/a.json", [name] = value }).IsValid);
    }

    [Fact]
    public void Descriptor_DocumentsTheAllowlist()
    {
        var path = Assert.Single(new ConfigCheckProbe().Descriptor.Parameters, p => p.Name == "path");
        Assert.Contains("/etc/platform/", path.Description, StringComparison.Ordinal);
        Assert.Contains("log files", path.Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("config.check")]
    [InlineData("file.permissions")]
    public void AddProbes_RegistersTheKindWithACompleteDescriptor(string kind)
    {
        using var services = new ServiceCollection().AddProbes().BuildServiceProvider();

        var probe = services.GetRequiredService<ProbeCatalog>().Find(kind);

        Assert.NotNull(probe);
        Assert.False(string.IsNullOrWhiteSpace(probe.Descriptor.TitleZh));
        Assert.EndsWith(".", probe.Descriptor.Description, StringComparison.Ordinal);
        Assert.True(probe.Descriptor.DefaultTimeout <= probe.Descriptor.MaxTimeout);
    }

    private Task<ProbeResult> Run(string path, string? requiredKeys = null)
    {
        var parameters = new Dictionary<string, string?> { ["path"] = path };
        if (requiredKeys is not null)
        {
            parameters["required_keys"] = requiredKeys;
        }

        return ProbeHarness.RunAsync(_probe, HostTestSupport.Target(), parameters);
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_etc, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>No planted secret in any line, finding or verdict.</summary>
    private static void AssertNoSecret(ProbeResult result)
    {
        foreach (var e in result.Events)
        {
            var text = e switch
            {
                OutputLine l => l.Text,
                Finding f => f.Key + "=" + f.Value,
                Verdict v => v.Summary,
                _ => string.Empty,
            };
            Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
            Assert.DoesNotContain(UrlSecret, text, StringComparison.Ordinal);
            Assert.DoesNotContain("hunter2", text, StringComparison.Ordinal);
        }
    }

    private string NoComments(string file)
    {
        var copy = file + ".plain";
        File.WriteAllLines(copy, File.ReadAllLines(file).Where(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal)));
        return copy;
    }

    private static bool Oracle(string program, params string[] arguments) => OracleOutput(program, arguments).Ok;

    private static (bool Ok, string Stderr) OracleOutput(string program, params string[] arguments)
    {
        using var p = HostTestSupport.Spawn(program, arguments);
        p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode == 0, stderr);
    }

    /// <summary>PyYAML (python3-yaml) loads the file.</summary>
    private static bool PyYaml(string file) =>
        Oracle("/usr/bin/python3", "-c", "import sys, yaml; yaml.safe_load(open(sys.argv[1]))", file);

    /// <summary>Stands in for systemctl on a machine where systemd runs: answers `show` with fixed output.</summary>
    private sealed class CannedSystemctl(string stdout) : IHostCommands
    {
        public IReadOnlyList<string> Arguments { get; private set; } = [];

        public string? Find(string program) => program == "systemctl" ? "/usr/bin/systemctl" : null;

        public Task<CommandResult> RunAsync(string program, IReadOnlyList<string> arguments, TimeSpan limit, CancellationToken ct)
        {
            Arguments = arguments;
            return Task.FromResult(new CommandResult(0, stdout, string.Empty, false));
        }

        public IRunningCommand Start(string program, IReadOnlyList<string> arguments) => throw new NotSupportedException();
    }
}
