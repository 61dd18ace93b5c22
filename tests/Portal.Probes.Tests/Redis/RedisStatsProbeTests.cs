using System.Globalization;
using Portal.Probes.Contract;
using Portal.Probes.Probes.Redis;

namespace Portal.Probes.Tests.Redis;

public sealed class RedisStatsProbeTests
{
    private readonly RedisStatsProbe _probe = new();

    [Fact]
    public async Task Run_ThreeHitsOneMiss_HitRatioIsThreeQuartersAndWarns()
    {
        await using var server = await RedisServer.StartAsync(password: "stats-pass");
        await server.CommandAsync("SET", "stats:a", "1");
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("1", (await server.CommandAsync("GET", "stats:a")).Text);
        }

        Assert.Equal(RespType.Null, (await server.CommandAsync("GET", "stats:missing")).Type);

        var result = await ProbeHarness.RunAsync(_probe, server.Target());
        var cli = await server.CliAsync("INFO", "stats");

        Assert.Equal("0.75", result.Findings["redis.stats.hit_ratio"]);
        Assert.Equal(RedisCli.Field(cli, "keyspace_hits"), result.Findings["redis.stats.keyspace_hits"]);
        Assert.Equal(RedisCli.Field(cli, "keyspace_misses"), result.Findings["redis.stats.keyspace_misses"]);
        Assert.Equal(VerdictStatus.Warn, result.Verdict.Status);
        Assert.Contains("below 0.8", result.Verdict.Summary, StringComparison.Ordinal);
        RedisAssert.NoSecret(result, "stats-pass");
    }

    [Fact]
    public async Task Run_MostlyHits_PassesWithConnectedAndBlockedClients()
    {
        await using var server = await RedisServer.StartAsync();
        await server.CommandAsync("SET", "stats:b", "1");
        for (var i = 0; i < 9; i++)
        {
            await server.CommandAsync("GET", "stats:b");
        }

        await server.CommandAsync("GET", "stats:none");

        // One client blocked in BLPOP while the probe runs.
        await using var blocked = await RespClient.ConnectAsync(System.Net.IPAddress.Loopback, server.Port, CancellationToken.None);
        using var stop = new CancellationTokenSource();
        var blpop = blocked.ExecuteAsync(stop.Token, "BLPOP", "stats:queue", "0");
        await RedisServer.WaitForAsync(async () => RedisCli.Field(await server.CliAsync("INFO", "clients"), "blocked_clients") == "1", "BLPOP to block");

        var result = await ProbeHarness.RunAsync(_probe, server.Target());
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blpop);

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("0.9", result.Findings["redis.stats.hit_ratio"]);
        Assert.Equal("1", result.Findings["redis.stats.blocked_clients"]);
        Assert.True(long.Parse(result.Findings["redis.stats.connected_clients"], CultureInfo.InvariantCulture) >= 2);
        Assert.True(long.Parse(result.Findings["redis.stats.total_commands"], CultureInfo.InvariantCulture) >= 11);
        Assert.Equal("0", result.Findings["redis.stats.rejected_connections"]);
        Assert.True(result.Findings.ContainsKey("redis.stats.ops_per_sec"));
    }

    [Fact]
    public async Task Run_NoLookupsYet_HasNoHitRatioAndPasses()
    {
        await using var server = await RedisServer.StartAsync();

        var result = await ProbeHarness.RunAsync(_probe, server.Target());

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.False(result.Findings.ContainsKey("redis.stats.hit_ratio"));
        Assert.Contains("no lookups", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_SharedServer_HitRatioAgreesWithRedisCli()
    {
        var prefix = $"t:{Guid.NewGuid():N}";
        await SharedRedis.CliAsync("SET", prefix + ":k", "v");
        await SharedRedis.CliAsync("GET", prefix + ":k");
        await SharedRedis.CliAsync("GET", prefix + ":missing");

        var before = await SharedRedis.CliAsync("INFO", "stats");
        var result = await ProbeHarness.RunAsync(_probe, SharedRedis.Target());
        var after = await SharedRedis.CliAsync("INFO", "stats");
        await SharedRedis.CliAsync("DEL", prefix + ":k");

        // Other tests may look keys up concurrently: the probe's ratio lies between the two readings.
        var low = Ratio(before);
        var high = Ratio(after);
        var probe = double.Parse(result.Findings["redis.stats.hit_ratio"], CultureInfo.InvariantCulture);
        Assert.InRange(probe, Math.Min(low, high) - 0.0001, Math.Max(low, high) + 0.0001);
    }

    [Theory]
    [InlineData(0L, 0L, null)]
    [InlineData(3L, 1L, 0.75)]
    [InlineData(2L, 1L, 0.6667)]
    [InlineData(0L, 5L, 0.0)]
    public void HitRatio_IsAFractionRoundedToFourPlaces(long hits, long misses, double? expected)
    {
        Assert.Equal(expected, RedisStatsProbe.HitRatio(hits, misses));
    }

    private static double Ratio(string info)
    {
        var hits = double.Parse(RedisCli.Field(info, "keyspace_hits"), CultureInfo.InvariantCulture);
        var misses = double.Parse(RedisCli.Field(info, "keyspace_misses"), CultureInfo.InvariantCulture);
        return Math.Round(hits / (hits + misses), 4);
    }
}
