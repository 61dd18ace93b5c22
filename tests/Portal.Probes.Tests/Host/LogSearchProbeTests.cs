using System.Diagnostics;
using Portal.Probes.Contract;
using Portal.Probes.Network;
using Portal.Probes.Probes.Host;

namespace Portal.Probes.Tests.Host;

public sealed class LogSearchProbeTests : IDisposable
{
    private readonly LogSearchProbe _probe = new();
    private readonly string _dir = HostTestSupport.TempDirectory();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Run_MatchesWithContext_ReportsLineNumbersAndCount()
    {
        var log = Write("api.log", "boot", "GET /health 200", "POST /register 500 timeout", "GET /health 200", "x", "y", "z", "POST /register 201");

        var result = await Run(log, new() { ["pattern"] = "register", ["before"] = "1", ["after"] = "1" });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("2", result.Findings["log.matches"]);
        Assert.Equal("POST /register 201", result.Findings["log.last_match"]);
        Assert.Equal("absolute", result.Findings["log.line_numbers"]);
        Assert.Equal(new FileInfo(log).Length.ToString(), result.Findings["log.searched_bytes"]);
        Assert.Contains("2- GET /health 200\n3: POST /register 500 timeout\n4- GET /health 200\n--\n7- z\n8: POST /register 201", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_GuideWorkflowTimeoutRegex_MatchesAndCountsLikeGrep()
    {
        var log = Write("api.log", "workflow_42 step 1 ok", "workflow_42 step 2 Timeout after 30s", "workflow_43 timed out", "workflow_42 request timed out");

        var result = await Run(log, new() { ["pattern"] = "workflow_42.*([Tt]imeout|timed out)", ["before"] = "0", ["after"] = "0" });

        Assert.Equal("2", result.Findings["log.matches"]);
        Assert.Equal(GrepCount(log, "workflow_42.*([Tt]imeout|timed out)").ToString(), result.Findings["log.matches"]);
    }

    [Fact]
    public async Task Run_LiteralMode_TreatsRegexCharactersAsText()
    {
        var log = Write("api.log", "price (a+b)*", "price aab");

        var literal = await Run(log, new() { ["pattern"] = "(a+b)*", ["mode"] = "literal" });

        Assert.Equal("1", literal.Findings["log.matches"]);
    }

    [Fact]
    public async Task Run_NoMatch_PassesWithZero()
    {
        var log = Write("api.log", "nothing here");

        var result = await Run(log, new() { ["pattern"] = "register" });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("0", result.Findings["log.matches"]);
        Assert.DoesNotContain("log.last_match", result.Findings.Keys);
    }

    [Fact]
    public async Task Run_SparseFileOverOneGigabyte_SearchesTheTailFastAndFindsTheLines()
    {
        var log = Path.Combine(_dir, "huge.log");
        await using (var stream = new FileStream(log, FileMode.CreateNew))
        {
            stream.SetLength(1L << 30 | 12345);
            stream.Seek(0, SeekOrigin.End);
            await stream.WriteAsync("\n2025-06-24 10:00:00 POST /register ok\n2025-06-24 10:00:01 GET /health\n2025-06-24 10:00:02 POST /register failed\n"u8.ToArray());
        }

        var watch = Stopwatch.StartNew();
        var result = await Run(log, new() { ["pattern"] = "register", ["max_bytes"] = (8 << 20).ToString() });

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.Equal("2", result.Findings["log.matches"]);
        Assert.Equal("2025-06-24 10:00:02 POST /register failed", result.Findings["log.last_match"]);
        Assert.Equal("relative", result.Findings["log.line_numbers"]);
        Assert.True(long.Parse(result.Findings["log.searched_bytes"]) <= 8 << 20);
        Assert.Equal(new FileInfo(log).Length.ToString(), result.Findings["log.file_bytes"]);
        Assert.Contains("searched its last", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_DefaultWindowOnHugeSparseFile_FinishesFast()
    {
        var log = Path.Combine(_dir, "huge.log");
        await using (var stream = new FileStream(log, FileMode.CreateNew))
        {
            stream.SetLength(3L << 30);
            stream.Seek(0, SeekOrigin.End);
            await stream.WriteAsync("\nERROR disk full\n"u8.ToArray());
        }

        var watch = Stopwatch.StartNew();
        var result = await Run(log, new() { ["pattern"] = "ERROR" });

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        Assert.Equal("1", result.Findings["log.matches"]);
        Assert.Equal((64L << 20).ToString(), result.Findings["log.searched_bytes"]);
    }

    [Fact]
    public async Task Run_PathNotInTheTargetsLogs_IsRefused()
    {
        var log = Write("api.log", "x");
        var other = Write("other.log", "secret");

        var result = await ProbeHarness.RunAsync(_probe, HostTestSupport.Target(logPaths: [log]), new() { ["path"] = other, ["pattern"] = "secret" });

        Assert.Equal(VerdictStatus.Error, result.Verdict.Status);
        Assert.Equal("refused_by_policy", result.Findings["log.error"]);
        Assert.DoesNotContain("secret", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_DotDotTraversal_IsRefused()
    {
        var log = Write("api.log", "x");
        var sneaky = Path.Combine(_dir, "..", Path.GetFileName(_dir), "api.log");

        var result = await ProbeHarness.RunAsync(_probe, HostTestSupport.Target(logPaths: [log, sneaky]), new() { ["path"] = sneaky, ["pattern"] = "x" });

        Assert.Equal(VerdictStatus.Error, result.Verdict.Status);
        Assert.Contains("path traversal", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_SymlinkEscapingTheAllowlist_IsRefused()
    {
        var outside = Path.Combine(HostTestSupport.TempDirectory(), "passwd-copy");
        await File.WriteAllTextAsync(outside, "root:x:0:0\n");
        var link = Path.Combine(_dir, "api.log");
        File.CreateSymbolicLink(link, outside);

        var result = await ProbeHarness.RunAsync(_probe, HostTestSupport.Target(logPaths: [link]), new() { ["path"] = link, ["pattern"] = "root" });

        Assert.Equal(VerdictStatus.Error, result.Verdict.Status);
        Assert.Contains("is a link to", result.Verdict.Summary, StringComparison.Ordinal);
        Assert.DoesNotContain("root:x", result.Output, StringComparison.Ordinal);
        Directory.Delete(Path.GetDirectoryName(outside)!, recursive: true);
    }

    [Fact]
    public async Task Run_LogDirectoryBehindASymlink_IsStillAllowed()
    {
        var real = Path.Combine(_dir, "real");
        Directory.CreateDirectory(real);
        await File.WriteAllTextAsync(Path.Combine(real, "api.log"), "register me\n");
        var linkedDir = Path.Combine(_dir, "current");
        Directory.CreateSymbolicLink(linkedDir, real);
        var log = Path.Combine(linkedDir, "api.log");

        var result = await ProbeHarness.RunAsync(_probe, HostTestSupport.Target(logPaths: [log]), new() { ["pattern"] = "register" });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("1", result.Findings["log.matches"]);
    }

    [Fact]
    public async Task Run_MissingLogFile_FailsAsNotFound()
    {
        var log = Path.Combine(_dir, "api.log");

        var result = await ProbeHarness.RunAsync(_probe, HostTestSupport.Target(logPaths: [log]), new() { ["pattern"] = "x" });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("not_found", result.Findings["log.error"]);
    }

    [Fact]
    public async Task Run_InvalidRegex_IsAnError()
    {
        var log = Write("api.log", "x");

        var result = await Run(log, new() { ["pattern"] = "([unclosed" });

        Assert.Equal(VerdictStatus.Error, result.Verdict.Status);
        Assert.Contains("not a valid regular expression", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_CatastrophicPattern_TimesOutInsteadOfHanging()
    {
        var log = Write("api.log", new string('a', 5000) + "!");

        var watch = Stopwatch.StartNew();
        var result = await Run(log, new() { ["pattern"] = "^(a+)+$" });

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5));
        Assert.Equal(VerdictStatus.Error, result.Verdict.Status);
        Assert.Equal("pattern_timeout", result.Findings["log.error"]);
    }

    [Fact]
    public async Task Run_Follow_StreamsNewLinesThroughTruncationAndStopsWithin2sOnCancel()
    {
        var log = Write("api.log", "old register line");
        var request = new ProbeRequest
        {
            Target = HostTestSupport.Target(logPaths: [log]),
            Parameters = ParameterValidator.Validate(_probe.Descriptor, new Dictionary<string, string?> { ["pattern"] = "register", ["follow_seconds"] = "600" }).Values,
            Network = new NetworkGuard(),
        };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seen = new List<string>();
        Stopwatch? sinceCancel = null;

        await foreach (var e in _probe.RunAsync(request, cts.Token))
        {
            if (e is OutputLine { Text: var text } && text.StartsWith("Following", StringComparison.Ordinal))
            {
                await File.AppendAllTextAsync(log, "new register line 1\nno match\n");
            }
            else if (e is OutputLine { Stream: OutputStream.Stdout } line && line.Text.Contains("new register line 1", StringComparison.Ordinal))
            {
                seen.Add(line.Text);
                await File.WriteAllTextAsync(log, "after truncate register\n"); // truncated (copytruncate rotation)
            }
            else if (e is OutputLine { Stream: OutputStream.Stdout } after && after.Text.Contains("after truncate", StringComparison.Ordinal))
            {
                seen.Add(after.Text);
                sinceCancel = Stopwatch.StartNew();
                await cts.CancelAsync();
            }
        }

        Assert.NotNull(sinceCancel);
        Assert.True(sinceCancel.Elapsed < TimeSpan.FromSeconds(2));
        Assert.Equal(["2: new register line 1", "1: after truncate register"], seen);
    }

    [Fact]
    public async Task Run_FollowForAFewSeconds_EndsWithAVerdictCountingNewMatches()
    {
        var log = Write("api.log", "register 1");
        var run = Run(log, new() { ["pattern"] = "register", ["follow_seconds"] = "2" });
        await Task.Delay(500);
        await File.AppendAllTextAsync(log, "register 2\npartial regis");

        var result = await run;

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("2", result.Findings["log.matches"]);
        Assert.Equal("register 2", result.Findings["log.last_match"]);
    }

    private Task<ProbeResult> Run(string log, Dictionary<string, string?> parameters) =>
        ProbeHarness.RunAsync(_probe, HostTestSupport.Target(logPaths: [log]), parameters);

    private string Write(string name, params string[] lines)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, string.Join('\n', lines) + "\n");
        return path;
    }

    /// <summary>The outside oracle: GNU grep -c -E.</summary>
    private static int GrepCount(string file, string pattern)
    {
        using var grep = HostTestSupport.Spawn("/usr/bin/grep", "-c", "-E", pattern, file);
        var output = grep.StandardOutput.ReadToEnd();
        grep.WaitForExit();
        return int.Parse(output.Trim());
    }
}
