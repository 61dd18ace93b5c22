using System.Net;
using Microsoft.Extensions.DependencyInjection;
using System.Text;
using Portal.Probes.Contract;
using Portal.Probes.Probes.Redis;

namespace Portal.Probes.Tests.Redis;

public sealed class RespClientTests
{
    [Fact]
    public void Encode_WritesAnArrayOfBulkStringsWithByteLengths()
    {
        var bytes = RespClient.Encode(["SET", "k", "é"]);

        Assert.Equal("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n", Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public async Task Execute_AgainstRealRedis_ParsesEveryReplyType()
    {
        var (host, port, password) = SharedRedis.Endpoint;
        var prefix = $"t:{Guid.NewGuid():N}";
        await using var client = await RespClient.ConnectAsync(IPAddress.Parse(host), port, CancellationToken.None);
        var ct = CancellationToken.None;

        var noauth = await client.ExecuteAsync(ct, "GET", prefix);
        var auth = await client.ExecuteAsync(ct, "AUTH", password!);
        var set = await client.ExecuteAsync(ct, "SET", prefix + ":s", "héllo\r\nworld");
        var get = await client.ExecuteAsync(ct, "GET", prefix + ":s");
        var missing = await client.ExecuteAsync(ct, "GET", prefix + ":missing");
        var pushed = await client.ExecuteAsync(ct, "RPUSH", prefix + ":l", "a", "", "c");
        var range = await client.ExecuteAsync(ct, "LRANGE", prefix + ":l", "0", "-1");
        var big = await client.ExecuteAsync(ct, "SET", prefix + ":big", new string('b', 100_000));
        var bigGet = await client.ExecuteAsync(ct, "GET", prefix + ":big");
        await client.ExecuteAsync(ct, "DEL", prefix + ":s", prefix + ":l", prefix + ":big");

        Assert.Equal(RespType.Error, noauth.Type);
        Assert.StartsWith("NOAUTH", noauth.Text, StringComparison.Ordinal);
        Assert.Equal(new RespValue(RespType.SimpleString, "OK"), auth);
        Assert.Equal("OK", set.Text);
        Assert.Equal("héllo\r\nworld", get.Text);
        Assert.Equal(RespType.Null, missing.Type);
        Assert.Equal(3, pushed.Integer);
        Assert.Equal(["a", "", "c"], range.Items!.Select(i => i.Text));
        Assert.Equal("OK", big.Text);
        Assert.Equal(100_000, bigGet.Text!.Length);
    }

    [Fact]
    public async Task Execute_PartialReply_WaitsUntilCancelled()
    {
        await using var fake = new FakeRedis(_ => "$10\r\nabc");
        await using var client = await RespClient.ConnectAsync(IPAddress.Loopback, fake.Port, CancellationToken.None);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        // The fake keeps the connection open after a partial reply: the read waits until cancelled.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ExecuteAsync(cts.Token, "GET", "x"));
    }

    [Theory]
    [InlineData("!3\r\nabc\r\n")]
    [InlineData("$99999999999\r\n")]
    [InlineData(":12x\r\n")]
    public async Task Execute_MalformedReply_ThrowsProtocolError(string reply)
    {
        await using var fake = new FakeRedis(_ => reply);
        await using var client = await RespClient.ConnectAsync(IPAddress.Loopback, fake.Port, CancellationToken.None);

        await Assert.ThrowsAsync<RespProtocolException>(() => client.ExecuteAsync(CancellationToken.None, "PING"));
    }
}

public sealed class RedisProbesCommonTests
{
    public static TheoryData<string> Kinds => ["redis.ping", "redis.memory", "redis.slowlog", "redis.stats", "redis.persistence"];

    private static IProbe Probe(string kind) => kind switch
    {
        "redis.ping" => new RedisPingProbe(),
        "redis.memory" => new RedisMemoryProbe(),
        "redis.slowlog" => new RedisSlowlogProbe(),
        "redis.stats" => new RedisStatsProbe(),
        _ => new RedisPersistenceProbe(),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Run_WrongPassword_FailsAsAuthFailed(string kind)
    {
        var result = await ProbeHarness.RunAsync(Probe(kind), SharedRedis.Target(password: "wrong-" + kind));

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("auth_failed", result.Findings["redis.error"]);
        RedisAssert.NoSecret(result, "wrong-" + kind, SharedRedis.Endpoint.Password);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Run_ClosedPort_FailsAsRefused(string kind)
    {
        var result = await ProbeHarness.RunAsync(Probe(kind), ProbeHarness.LocalTarget(TargetKind.Redis, port: RedisServer.FreePort()));

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("refused", result.Findings["redis.error"]);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Run_AclUserWithoutPermission_FailsAsNoPermission(string kind)
    {
        await using var server = await RedisServer.StartAsync();
        await server.CommandAsync("ACL", "SETUSER", "pinger", "on", ">pinger-pw", "+auth");

        var result = await ProbeHarness.RunAsync(Probe(kind), server.Target(password: "pinger-pw", username: "pinger"));

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("no_permission", result.Findings["redis.error"]);
        RedisAssert.NoSecret(result, "pinger-pw");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Run_TlsTargetButPlainServer_FailsAsTls(string kind)
    {
        var (host, port, _) = SharedRedis.Endpoint;
        var target = SharedRedis.Target() with { UseTls = true };

        var result = await ProbeHarness.RunAsync(Probe(kind), target, new() { ["timeout_ms"] = "500" });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("tls", result.Findings["redis.error"]);
        Assert.Contains("does the server listen for TLS", result.Output, StringComparison.Ordinal);
        Assert.Contains($"TLS to {host}:{port} failed", result.Verdict.Summary, StringComparison.Ordinal);
        RedisAssert.NoSecret(result, SharedRedis.Endpoint.Password);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void AddProbes_RegistersTheKindInTheCatalog(string kind)
    {
        using var services = new ServiceCollection().AddProbes().BuildServiceProvider();

        var catalog = services.GetRequiredService<ProbeCatalog>();

        Assert.NotNull(catalog.Find(kind));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Descriptor_IsCompleteForTheCatalog(string kind)
    {
        var d = Probe(kind).Descriptor;

        Assert.Equal(kind, d.Kind);
        Assert.False(string.IsNullOrWhiteSpace(d.Title));
        Assert.False(string.IsNullOrWhiteSpace(d.TitleZh));
        Assert.EndsWith(".", d.Description, StringComparison.Ordinal);
        Assert.Equal([TargetKind.Redis], d.TargetKinds);
        Assert.True(d.DefaultTimeout <= d.MaxTimeout);
        Assert.All(d.Parameters.Where(p => p.Type == ParameterType.Integer), p => Assert.True(p.Min is not null && p.Max is not null, p.Name));
        Assert.All(d.Parameters.Where(p => p.Type == ParameterType.String), p => Assert.NotNull(p.Pattern));
        Assert.True(ParameterValidator.Validate(d, null).IsValid);
    }
}
