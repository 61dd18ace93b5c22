using Portal.Probes.Contract;
using Portal.Probes.Probes.Redis;

namespace Portal.Probes.Tests.Redis;

/// <summary>
/// A real redis-server caught while it loads its RDB: the RDB (20,000 keys) is written by a first
/// server with DEBUG POPULATE + SAVE, then a second server loads it with a per-key delay
/// (the hidden key-load-delay setting, in µs, that Redis's own test suite uses), so loading takes
/// about 20 s and the tests run inside that window.
/// </summary>
public sealed class RedisLoadingFixture : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("portal-redis-loading-").FullName;

    internal RedisServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var dir = _dir;
        await using (var writer = await RedisServer.StartAsync(dir: dir, extra: ["--enable-debug-command", "local"]))
        {
            Assert.Equal("OK", (await writer.CommandAsync("DEBUG", "POPULATE", "20000", "k", "10")).Text);
            Assert.Equal("OK", (await writer.CommandAsync("SAVE")).Text);
        }

        Assert.True(File.Exists(Path.Combine(dir, "dump.rdb")));
        Server = await RedisServer.StartAsync(dir: dir, extra: ["--key-load-delay", "1000", "--loading-process-events-interval-bytes", "1024"]);
    }

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        Directory.Delete(_dir, recursive: true);
    }
}

public sealed class RedisLoadingTests(RedisLoadingFixture fixture) : IClassFixture<RedisLoadingFixture>
{
    [Fact]
    public async Task Ping_WhileLoading_FailsAsLoadingWithProgress()
    {
        var result = await ProbeHarness.RunAsync(new RedisPingProbe(), fixture.Server.Target(), RedisAssert.Fast(3));

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("loading", result.Findings["redis.error"]);
        Assert.Contains("LOADING Redis is loading the dataset in memory", result.Output, StringComparison.Ordinal);
        Assert.Contains("Loading the dataset:", result.Output, StringComparison.Ordinal);
        Assert.True(double.Parse(result.Findings["redis.loading.pct"], System.Globalization.CultureInfo.InvariantCulture) < 100);
    }

    [Fact]
    public async Task Persistence_WhileLoading_WarnsWithLoadingError()
    {
        var result = await ProbeHarness.RunAsync(new RedisPersistenceProbe(), fixture.Server.Target());

        Assert.Equal(VerdictStatus.Warn, result.Verdict.Status);
        Assert.Equal("loading", result.Findings["redis.error"]);
        Assert.Equal("true", result.Findings["redis.persistence.loading"]);
        Assert.Contains("loading its dataset", result.Verdict.Summary, StringComparison.Ordinal);
    }
}
