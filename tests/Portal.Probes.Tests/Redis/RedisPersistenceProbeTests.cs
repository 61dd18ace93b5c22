using Portal.Probes.Contract;
using Portal.Probes.Probes.Redis;

namespace Portal.Probes.Tests.Redis;

public sealed class RedisPersistenceProbeTests
{
    private readonly RedisPersistenceProbe _probe = new();

    [Fact]
    public async Task Run_AfterASuccessfulBgsave_PassesWithStatusOkLikeRedisCli()
    {
        await using var server = await RedisServer.StartAsync(password: "persist-pass");
        await server.CommandAsync("SET", "p:a", "1");
        Assert.False((await server.CommandAsync("BGSAVE")).IsError);
        await RedisServer.WaitForAsync(
            async () => RedisCli.Field(await server.CliAsync("INFO", "persistence"), "rdb_bgsave_in_progress") == "0"
                        && RedisCli.Field(await server.CliAsync("INFO", "persistence"), "rdb_changes_since_last_save") == "0",
            "BGSAVE to finish");

        var result = await ProbeHarness.RunAsync(_probe, server.Target());
        var cli = await server.CliAsync("INFO", "persistence");

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("ok", result.Findings["redis.persistence.rdb_last_status"]);
        Assert.Equal(RedisCli.Field(cli, "rdb_last_bgsave_status"), result.Findings["redis.persistence.rdb_last_status"]);
        Assert.Equal("0", result.Findings["redis.persistence.rdb_changes_since_last_save"]);
        Assert.Equal("false", result.Findings["redis.persistence.aof_enabled"]);
        Assert.Equal("ok", result.Findings["redis.persistence.aof_last_write_status"]);
        Assert.InRange(long.Parse(result.Findings["redis.persistence.rdb_last_save_age_s"], System.Globalization.CultureInfo.InvariantCulture), 0, 5);
        Assert.True(File.Exists(Path.Combine(server.Dir, "dump.rdb")));
        RedisAssert.NoSecret(result, "persist-pass");
    }

    [Fact]
    public async Task Run_BgsaveIntoAVanishedDirectory_FailsWithRdbStatusErr()
    {
        await using var server = await RedisServer.StartAsync();
        await server.CommandAsync("SET", "p:b", "1");
        Directory.Delete(server.Dir, recursive: true); // the server's working dir is gone: the RDB child cannot create its temp file
        Assert.False((await server.CommandAsync("BGSAVE")).IsError);
        await RedisServer.WaitForAsync(async () => RedisCli.Field(await server.CliAsync("INFO", "persistence"), "rdb_last_bgsave_status") == "err", "BGSAVE to fail");

        var result = await ProbeHarness.RunAsync(_probe, server.Target());

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("err", result.Findings["redis.persistence.rdb_last_status"]);
        Assert.Equal("1", result.Findings["redis.persistence.rdb_changes_since_last_save"]);
        Assert.Contains("last RDB save (BGSAVE) failed", result.Verdict.Summary, StringComparison.Ordinal);
        Assert.Contains("last bgsave err", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_AofEnabled_ReportsAofStatusLikeRedisCli()
    {
        await using var server = await RedisServer.StartAsync(extra: ["--appendonly", "yes"]);
        await server.CommandAsync("SET", "p:c", "1");
        await RedisServer.WaitForAsync(
            async () => RedisCli.Field(await server.CliAsync("INFO", "persistence"), "aof_rewrite_in_progress") == "0",
            "the initial AOF rewrite to finish");

        var result = await ProbeHarness.RunAsync(_probe, server.Target());
        var cli = await server.CliAsync("INFO", "persistence");

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("true", result.Findings["redis.persistence.aof_enabled"]);
        Assert.Equal(RedisCli.Field(cli, "aof_last_write_status"), result.Findings["redis.persistence.aof_last_write_status"]);
        Assert.Equal(RedisCli.Field(cli, "aof_last_bgrewrite_status"), result.Findings["redis.persistence.aof_last_bgrewrite_status"]);
        Assert.Contains("AOF  enabled, last write ok", result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(59L, "59 s")]
    [InlineData(600L, "10 min")]
    [InlineData(7260L, "2 h 1 min")]
    [InlineData(259_200L, "3 days")]
    public void Age_ReadsLikeAPersonWouldSayIt(long seconds, string expected)
    {
        Assert.Equal(expected, RedisPersistenceProbe.Age(seconds));
    }
}
