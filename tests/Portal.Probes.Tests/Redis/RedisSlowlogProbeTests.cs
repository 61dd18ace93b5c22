using System.Globalization;
using Portal.Probes.Contract;
using Portal.Probes.Probes.Redis;

namespace Portal.Probes.Tests.Redis;

public sealed class RedisSlowlogProbeTests
{
    private static readonly string[] Secrets = ["initial-secret-1", "secret123", "bobsecret456", "migratepw789", "hellopw321"];

    private readonly RedisSlowlogProbe _probe = new();

    [Fact]
    public async Task Run_ServerLoggingEverything_ShowsCommandsAndNeverACredential()
    {
        await using var server = await RedisServer.StartAsync(password: "initial-secret-1", extra: ["--slowlog-log-slower-than", "0", "--slowlog-max-len", "128"]);
        await server.CommandAsync("CONFIG", "SET", "requirepass", "secret123");
        var changed = await RedisServer.StartClientAsync(server.Port, "secret123");
        await using (changed)
        {
            await changed.ExecuteAsync(CancellationToken.None, "HELLO", "2", "AUTH", "default", "secret123");
            await changed.ExecuteAsync(CancellationToken.None, "ACL", "SETUSER", "bob", "on", ">bobsecret456");
            await changed.ExecuteAsync(CancellationToken.None, "MIGRATE", "127.0.0.1", "1", "", "0", "100", "AUTH", "migratepw789", "KEYS", "a");
            await changed.ExecuteAsync(CancellationToken.None, "CLIENT", "SETNAME", "slow-test-client");
            await changed.ExecuteAsync(CancellationToken.None, "SET", "slow:key", new string('v', 200));
        }

        var result = await ProbeHarness.RunAsync(_probe, server.Target(password: "secret123"), new() { ["count"] = "20" });
        var len = await RedisCli.RunAsync("127.0.0.1", server.Port, "secret123", "SLOWLOG", "LEN");

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("0", result.Findings["redis.slowlog.slower_than_us"]);
        var count = long.Parse(result.Findings["redis.slowlog.count"], CultureInfo.InvariantCulture);
        Assert.InRange(count, 8, 20);
        Assert.True(count <= long.Parse(len.Trim(), CultureInfo.InvariantCulture), $"the probe read {count} entries, redis-cli counts {len}");
        Assert.Contains("SET slow:key " + new string('v', 64) + "…", result.Output, StringComparison.Ordinal);
        Assert.Contains("(slow-test-client)", result.Output, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:", result.Output, StringComparison.Ordinal);
        RedisAssert.NoSecret(result, Secrets);
    }

    [Fact]
    public async Task Run_OldServerThatLogsCredentialsInClear_MasksThemAll()
    {
        // Redis before 7 showed some of these in clear; play one back.
        const long Now = 1_800_000_000;
        string Entry(int id, params string[] args) =>
            $"*6\r\n:{id}\r\n:{Now}\r\n:{1500 + id}\r\n" + FakeRedis.Bulks(args) + FakeRedis.Bulk("10.0.0.5:40000") + FakeRedis.Bulk("app");
        var entries = new[]
        {
            Entry(1, "AUTH", "initial-secret-1"),
            Entry(2, "AUTH", "bob", "bobsecret456"),
            Entry(3, "CONFIG", "SET", "requirepass", "secret123", "maxmemory", "1mb"),
            Entry(4, "HELLO", "3", "AUTH", "default", "hellopw321", "SETNAME", "x"),
            Entry(5, "MIGRATE", "10.0.0.9", "6379", "", "0", "100", "AUTH2", "bob", "migratepw789", "KEYS", "a"),
            Entry(6, "ACL", "SETUSER", "bob", "on", ">bobsecret456"),
            Entry(7, "SET", "token", "contains-secret123-inside"),
        };
        await using var fake = new FakeRedis(args => args[0].ToUpperInvariant() switch
        {
            "AUTH" => "+OK\r\n",
            "CONFIG" => FakeRedis.Bulks("slowlog-log-slower-than", "1000"),
            "SLOWLOG" when args[1].Equals("LEN", StringComparison.OrdinalIgnoreCase) => $":{entries.Length}\r\n",
            "SLOWLOG" => $"*{entries.Length}\r\n" + string.Concat(entries),
            _ => "-ERR unknown command\r\n",
        });
        var target = ProbeHarness.LocalTarget(TargetKind.Redis, port: fake.Port) with { Password = new Secret("secret123") };

        var result = await ProbeHarness.RunAsync(_probe, target);

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("7", result.Findings["redis.slowlog.count"]);
        Assert.Equal("1.507", result.Findings["redis.slowlog.max_ms"]);
        Assert.Contains("AUTH *** ***", result.Output, StringComparison.Ordinal);
        Assert.Contains("CONFIG SET requirepass *** maxmemory 1mb", result.Output, StringComparison.Ordinal);
        Assert.Contains("HELLO 3 AUTH *** *** *** ***", result.Output, StringComparison.Ordinal);
        Assert.Contains("ACL SETUSER bob on >***", result.Output, StringComparison.Ordinal);
        Assert.Contains("SET token ***", result.Output, StringComparison.Ordinal);
        Assert.Contains("10.0.0.5:40000 (app)", result.Output, StringComparison.Ordinal);
        RedisAssert.NoSecret(result, Secrets);
    }

    [Fact]
    public async Task Run_ACommandSlowerThanFailMs_Fails()
    {
        await using var server = await RedisServer.StartAsync(extra: ["--enable-debug-command", "local", "--slowlog-log-slower-than", "1000"]);
        await server.CommandAsync("DEBUG", "SLEEP", "0.3");

        var result = await ProbeHarness.RunAsync(_probe, server.Target(), new() { ["warn_ms"] = "100", ["fail_ms"] = "250" });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("1", result.Findings["redis.slowlog.count"]);
        Assert.True(double.Parse(result.Findings["redis.slowlog.max_ms"], CultureInfo.InvariantCulture) >= 300);
        Assert.Contains("DEBUG SLEEP 0.3", result.Output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Run_EmptySlowlog_Passes()
    {
        await using var server = await RedisServer.StartAsync();

        var result = await ProbeHarness.RunAsync(_probe, server.Target());

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("0", result.Findings["redis.slowlog.count"]);
        Assert.Equal("The slow log is empty.", result.Verdict.Summary);
    }

    [Theory]
    [InlineData(new[] { "AUTH", "pw" }, "AUTH ***")]
    [InlineData(new[] { "auth", "user", "pw" }, "auth *** ***")]
    [InlineData(new[] { "HELLO", "3", "AUTH", "u", "pw", "SETNAME", "n" }, "HELLO 3 AUTH *** *** *** ***")]
    [InlineData(new[] { "MIGRATE", "h", "6379", "", "0", "10", "AUTH", "pw", "KEYS", "a" }, "MIGRATE h 6379 \"\" 0 10 AUTH *** … (2 more)")]
    [InlineData(new[] { "CONFIG", "SET", "masterauth", "pw" }, "CONFIG SET masterauth ***")]
    [InlineData(new[] { "CONFIG", "SET", "maxmemory", "1mb" }, "CONFIG SET maxmemory 1mb")]
    [InlineData(new[] { "ACL", "SETUSER", "u", "on", ">pw", "<old", "#abc", "~*" }, "ACL SETUSER u on >*** <*** #*** ~*")]
    [InlineData(new[] { "SET", "k", "a b" }, "SET k \"a b\"")]
    [InlineData(new[] { "MSET", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10" }, "MSET 1 2 3 4 5 6 7 … (3 more)")]
    public void Format_MasksCredentialsAndTruncates(string[] args, string expected)
    {
        Assert.Equal(expected, SlowlogCommand.Format(args));
    }

    [Fact]
    public void Format_LongArgument_IsCutTo64Characters()
    {
        var formatted = SlowlogCommand.Format(["SET", "k", new string('z', 500)]);

        Assert.Equal("SET k " + new string('z', 64) + "…", formatted);
    }

    [Theory]
    [InlineData(999L, "999 µs")]
    [InlineData(1500L, "1.50 ms")]
    public void Duration_MicrosecondsBelowOneMillisecond(long us, string expected)
    {
        Assert.Equal(expected, RedisSlowlogProbe.Duration(us));
    }
}
