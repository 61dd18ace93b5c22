using System.Globalization;
using Portal.Probes.Contract;
using Portal.Probes.Probes.Redis;

namespace Portal.Probes.Tests.Redis;

public sealed class RedisMemoryProbeTests
{
    private readonly RedisMemoryProbe _probe = new();

    [Fact]
    public async Task Run_FilledTwoMegabyteServer_FailsAtOrAbove95PercentAndAgreesWithRedisCli()
    {
        await using var server = await RedisServer.StartAsync(password: "mem-pass-1", extra: ["--maxmemory", "2mb", "--maxmemory-policy", "noeviction"]);
        var value = new string('x', 1024);
        var written = 0;
        while (true)
        {
            var reply = await server.CommandAsync("SET", $"mem:{written}", value);
            if (reply.IsError)
            {
                Assert.StartsWith("OOM", reply.Text, StringComparison.Ordinal);
                break;
            }

            Assert.True(++written < 10_000, "2 MB should be full long before 10,000 KB-sized keys");
        }

        var result = await ProbeHarness.RunAsync(_probe, server.Target());
        var cli = await server.CliAsync("INFO", "memory");

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.True(double.Parse(result.Findings["redis.memory.used_pct"], CultureInfo.InvariantCulture) >= 95, result.Findings["redis.memory.used_pct"]);
        Assert.Equal(RedisCli.Field(cli, "maxmemory"), result.Findings["redis.memory.maxmemory"]);
        Assert.Equal("2097152", result.Findings["redis.memory.maxmemory"]);
        Assert.Equal(RedisCli.Field(cli, "maxmemory_policy"), result.Findings["redis.memory.policy"]);
        AssertClose(long.Parse(RedisCli.Field(cli, "used_memory"), CultureInfo.InvariantCulture), long.Parse(result.Findings["redis.memory.used_bytes"], CultureInfo.InvariantCulture));
        Assert.Contains("writes fail with OOM", result.Verdict.Summary, StringComparison.Ordinal);
        RedisAssert.NoSecret(result, "mem-pass-1");
    }

    [Fact]
    public async Task Run_ServerWithoutMaxmemory_SaysUnlimitedAndHasNoUsedPct()
    {
        await using var server = await RedisServer.StartAsync(extra: ["--maxmemory", "0"]);

        var result = await ProbeHarness.RunAsync(_probe, server.Target());

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("0", result.Findings["redis.memory.maxmemory"]);
        Assert.False(result.Findings.ContainsKey("redis.memory.used_pct"));
        Assert.Contains("no limit", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_SharedServer_AgreesWithRedisCli()
    {
        var result = await ProbeHarness.RunAsync(_probe, SharedRedis.Target());
        var cli = await SharedRedis.CliAsync("INFO", "memory");
        var stats = await SharedRedis.CliAsync("INFO", "stats");

        Assert.NotEqual(VerdictStatus.Error, result.Verdict.Status);
        Assert.Equal(RedisCli.Field(cli, "maxmemory"), result.Findings["redis.memory.maxmemory"]);
        Assert.Equal(RedisCli.Field(cli, "maxmemory_policy"), result.Findings["redis.memory.policy"]);
        Assert.Equal(RedisCli.Field(stats, "evicted_keys"), result.Findings["redis.memory.evicted_keys"]);
        AssertClose(long.Parse(RedisCli.Field(cli, "used_memory"), CultureInfo.InvariantCulture), long.Parse(result.Findings["redis.memory.used_bytes"], CultureInfo.InvariantCulture));
        Assert.True(result.Findings.ContainsKey("redis.memory.fragmentation_ratio"));
        Assert.True(result.Findings.ContainsKey("redis.memory.rss_bytes"));
        Assert.True(result.Findings.ContainsKey("redis.memory.peak_bytes"));
        RedisAssert.NoSecret(result, SharedRedis.Endpoint.Password);
    }

    [Fact]
    public async Task Run_EvictingServer_ReportsEvictedKeysLikeRedisCli()
    {
        await using var server = await RedisServer.StartAsync(extra: ["--maxmemory", "2mb", "--maxmemory-policy", "allkeys-lru"]);
        var value = new string('y', 1024);
        for (var i = 0; i < 3000; i++)
        {
            Assert.False((await server.CommandAsync("SET", $"lru:{i}", value)).IsError);
        }

        var result = await ProbeHarness.RunAsync(_probe, server.Target());
        var stats = await server.CliAsync("INFO", "stats");

        Assert.Equal("allkeys-lru", result.Findings["redis.memory.policy"]);
        Assert.True(long.Parse(result.Findings["redis.memory.evicted_keys"], CultureInfo.InvariantCulture) > 0);
        Assert.Equal(RedisCli.Field(stats, "evicted_keys"), result.Findings["redis.memory.evicted_keys"]);
        Assert.Contains("keys evicted since start", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(50.0, VerdictStatus.Pass)]
    [InlineData(79.9, VerdictStatus.Pass)]
    [InlineData(80.0, VerdictStatus.Warn)]
    [InlineData(94.9, VerdictStatus.Warn)]
    [InlineData(95.0, VerdictStatus.Fail)]
    [InlineData(120.0, VerdictStatus.Fail)]
    public void Judge_WarnsAt80AndFailsAt95(double pct, VerdictStatus expected)
    {
        Assert.Equal(expected, RedisMemoryProbe.Judge(pct, 80, 95));
    }

    /// <summary>Two connections see slightly different used_memory (each client's buffers count): within 5 % or 64 KB.</summary>
    private static void AssertClose(long oracle, long probe) =>
        Assert.True(Math.Abs(oracle - probe) <= Math.Max(64 * 1024, oracle / 20), $"redis-cli says {oracle}, the probe {probe}");
}
