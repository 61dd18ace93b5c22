using System.Net;
using System.Net.Sockets;
using Portal.Probes.Contract;
using Portal.Probes.Network;
using Portal.Probes.Probes.Redis;

namespace Portal.Probes.Tests.Redis;

internal static class RedisAssert
{
    /// <summary>No event of the run — line, finding, metric or verdict — carries any of the secrets.</summary>
    public static void NoSecret(ProbeResult result, params string?[] secrets)
    {
        foreach (var secret in secrets.Where(s => !string.IsNullOrEmpty(s)))
        {
            Assert.DoesNotContain(result.Events, e => e.ToString().Contains(secret!, StringComparison.Ordinal));
        }
    }

    public static Dictionary<string, string?> Fast(int count = 3) => new()
    {
        ["count"] = count.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["interval_ms"] = "0",
        ["warn_ms"] = "5000", // a busy CI machine must not turn Pass into Warn; the latency warning has its own test
    };
}

public sealed class RedisPingProbeTests
{
    private readonly RedisPingProbe _probe = new();

    [Fact]
    public async Task Run_SharedServer_StreamsEachPongAndPasses()
    {
        var result = await ProbeHarness.RunAsync(_probe, SharedRedis.Target(), RedisAssert.Fast(4));

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal(4, result.Events.OfType<OutputLine>().Count(l => System.Text.RegularExpressions.Regex.IsMatch(l.Text, @"^PONG \d+\.\d\d ms$")));
        Assert.Equal("4", result.Findings["redis.ping.count"]);
        var min = double.Parse(result.Findings["redis.ping.min_ms"], System.Globalization.CultureInfo.InvariantCulture);
        var avg = double.Parse(result.Findings["redis.ping.avg_ms"], System.Globalization.CultureInfo.InvariantCulture);
        var p99 = double.Parse(result.Findings["redis.ping.p99_ms"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(min <= avg + 0.001 && avg <= p99 + 0.001, $"min {min} avg {avg} p99 {p99}");
        Assert.Equal(4, result.Metrics.Count(m => m.Name == "ping_ms"));
        Assert.Contains(result.Metrics, m => m.Name == "connect_ms");
        Assert.Contains(result.Metrics, m => m.Name == "auth_ms");
        Assert.Contains("AUTH as the default user: OK", result.Output, StringComparison.Ordinal);
        Assert.False(result.Findings.ContainsKey("redis.error"));
        RedisAssert.NoSecret(result, SharedRedis.Endpoint.Password);
    }

    [Fact]
    public async Task Run_ClosedPort_FailsAsRefused()
    {
        var target = ProbeHarness.LocalTarget(TargetKind.Redis, port: RedisServer.FreePort());

        var result = await ProbeHarness.RunAsync(_probe, target, RedisAssert.Fast());

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("refused", result.Findings["redis.error"]);
        Assert.Contains("refused", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_WrongPassword_FailsAsAuthFailed()
    {
        var result = await ProbeHarness.RunAsync(_probe, SharedRedis.Target(password: "not-the-password-42"), RedisAssert.Fast());

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("auth_failed", result.Findings["redis.error"]);
        Assert.Contains("WRONGPASS", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(result.Events, e => e is OutputLine { Text: var t } && t.StartsWith("PONG", StringComparison.Ordinal));
        RedisAssert.NoSecret(result, "not-the-password-42", SharedRedis.Endpoint.Password);
    }

    [Fact]
    public async Task Run_NoPasswordOnRequirepassServer_FailsAsAuthFailedWithNoauth()
    {
        var result = await ProbeHarness.RunAsync(_probe, SharedRedis.TargetWithoutPassword(), RedisAssert.Fast());

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("auth_failed", result.Findings["redis.error"]);
        Assert.Contains("NOAUTH", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_AclUser_AuthenticatesWithUsernameAndAWrongOneFails()
    {
        await using var server = await RedisServer.StartAsync();
        await server.CommandAsync("ACL", "SETUSER", "probe", "on", ">probe-pass-7", "+ping", "+info", "+time");

        var ok = await ProbeHarness.RunAsync(_probe, server.Target(password: "probe-pass-7", username: "probe"), RedisAssert.Fast(1));
        var wrong = await ProbeHarness.RunAsync(_probe, server.Target(password: "nope-nope", username: "probe"), RedisAssert.Fast(1));

        Assert.Equal(VerdictStatus.Pass, ok.Verdict.Status);
        Assert.Contains("AUTH as user 'probe': OK", ok.Output, StringComparison.Ordinal);
        Assert.Equal(VerdictStatus.Fail, wrong.Verdict.Status);
        Assert.Equal("auth_failed", wrong.Findings["redis.error"]);
        RedisAssert.NoSecret(ok, "probe-pass-7");
        RedisAssert.NoSecret(wrong, "nope-nope");
    }

    [Fact]
    public async Task Run_ServerWithoutPasswordButTargetHasOne_PassesAndSaysSo()
    {
        await using var server = await RedisServer.StartAsync();

        var result = await ProbeHarness.RunAsync(_probe, server.Target(password: "unneeded-secret"), RedisAssert.Fast(1));

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("not_required", result.Findings["redis.auth"]);
        RedisAssert.NoSecret(result, "unneeded-secret");
    }

    [Fact]
    public async Task Run_ServerNeverAnswers_FailsAsTimeout()
    {
        await using var silent = new FakeRedis(_ => null);
        var parameters = RedisAssert.Fast(1);
        parameters["timeout_ms"] = "300";

        var started = DateTime.UtcNow;
        var result = await ProbeHarness.RunAsync(_probe, ProbeHarness.LocalTarget(TargetKind.Redis, port: silent.Port), parameters);

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("timeout", result.Findings["redis.error"]);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Run_SlowAnswers_WarnsAboveWarnMs()
    {
        await using var slow = new FakeRedis(_ => "+PONG\r\n", delay: TimeSpan.FromMilliseconds(40));
        var parameters = RedisAssert.Fast(2);
        parameters["warn_ms"] = "20";

        var result = await ProbeHarness.RunAsync(_probe, ProbeHarness.LocalTarget(TargetKind.Redis, port: slow.Port), parameters);

        Assert.Equal(VerdictStatus.Warn, result.Verdict.Status);
        // The server waits 40 ms per answer; timer granularity may shave a little off the measured round trip.
        Assert.True(double.Parse(result.Findings["redis.ping.min_ms"], System.Globalization.CultureInfo.InvariantCulture) >= 35);
        Assert.Contains("slowly", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NotARedisServer_FailsAsProtocol()
    {
        await using var http = new FakeRedis(_ => "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");

        var result = await ProbeHarness.RunAsync(_probe, ProbeHarness.LocalTarget(TargetKind.Redis, port: http.Port), RedisAssert.Fast(1));

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("protocol", result.Findings["redis.error"]);
    }

    [Fact]
    public async Task Run_ServerClosesTheConnection_FailsAsClosed()
    {
        await using var server = await RedisServer.StartAsync();
        await server.CommandAsync("CONFIG", "SET", "maxclients", "1");
        await using var holder = await RespClient.ConnectAsync(IPAddress.Loopback, server.Port, CancellationToken.None);
        Assert.Equal("PONG", (await holder.ExecuteAsync(CancellationToken.None, "PING")).Text);

        var result = await ProbeHarness.RunAsync(_probe, server.Target(), RedisAssert.Fast(1));

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("too_many_clients", result.Findings["redis.error"]);
    }

    [Fact]
    public async Task Run_LoopbackNotAllowedForTheTarget_RefusedByPolicyWithoutConnecting()
    {
        await using var fake = new FakeRedis(_ => "+PONG\r\n");
        var target = ProbeHarness.LocalTarget(TargetKind.Redis, port: fake.Port) with { AllowLoopback = false };

        var result = await ProbeHarness.RunAsync(_probe, target, RedisAssert.Fast(1));

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("refused_by_policy", result.Findings["redis.error"]);
        Assert.Empty(fake.Received);
    }

    [Fact]
    public async Task Run_NameThatDoesNotResolve_FailsAsDns()
    {
        var guard = new NetworkGuard((_, _) => throw new SocketException((int)SocketError.HostNotFound));
        var target = ProbeHarness.LocalTarget(TargetKind.Redis, host: "redis.nowhere.invalid");

        var result = await ProbeHarness.RunAsync(_probe, target, RedisAssert.Fast(1), guard: guard);

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("dns", result.Findings["redis.error"]);
    }

    [Fact]
    public async Task Run_HostNameResolvesToSeveralAddresses_TriesEachUntilOneConnects()
    {
        // ::1 first, where nothing listens on this port; then 127.0.0.1, where the server is.
        await using var server = await RedisServer.StartAsync();
        var guard = new NetworkGuard((_, _) => Task.FromResult(new[] { IPAddress.IPv6Loopback, IPAddress.Loopback }));
        var target = server.Target() with { Host = "redis.test" };

        var result = await ProbeHarness.RunAsync(_probe, target, RedisAssert.Fast(1), guard: guard);

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Contains($"[::1]:{server.Port}: refused", result.Output, StringComparison.Ordinal);
        Assert.Contains($"Connected to 127.0.0.1:{server.Port}", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_CancelledMidway_StopsPromptly()
    {
        using var cts = new CancellationTokenSource();
        var parameters = new Dictionary<string, string?> { ["count"] = "100", ["interval_ms"] = "1000" };
        var validation = ParameterValidator.Validate(_probe.Descriptor, parameters);
        var request = new ProbeRequest { Target = SharedRedis.Target(), Parameters = validation.Values, Network = new NetworkGuard() };
        var started = DateTime.UtcNow;
        var pongs = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var e in _probe.RunAsync(request, cts.Token))
            {
                if (e is OutputLine { Text: var t } && t.StartsWith("PONG", StringComparison.Ordinal) && ++pongs == 1)
                {
                    await cts.CancelAsync();
                }
            }
        });

        Assert.Equal(1, pongs);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(3));
    }

    [Theory]
    [InlineData(new[] { 1.0 }, 1.0, 1.0, 1.0)]
    [InlineData(new[] { 3.0, 1.0, 2.0 }, 1.0, 2.0, 3.0)]
    public void Summarize_GivesMinAverageAndNearestRankP99(double[] times, double min, double avg, double p99)
    {
        Assert.Equal((min, avg, p99), RedisPingProbe.Summarize(times));
    }

    [Fact]
    public void Summarize_HundredSamples_P99IsTheSecondLargest()
    {
        var times = Enumerable.Range(1, 100).Select(i => (double)i).ToArray();

        Assert.Equal(99.0, RedisPingProbe.Summarize(times).P99);
    }

    [Theory]
    [InlineData("NOAUTH Authentication required.", "auth_failed")]
    [InlineData("WRONGPASS invalid username-password pair or user is disabled.", "auth_failed")]
    [InlineData("ERR invalid password", "auth_failed")]
    [InlineData("LOADING Redis is loading the dataset in memory", "loading")]
    [InlineData("ERR max number of clients reached", "too_many_clients")]
    [InlineData("NOPERM this user has no permissions to run the 'info' command", "no_permission")]
    [InlineData("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk.", "misconf")]
    [InlineData("ERR unknown command 'FOO'", "server_error")]
    public void ClassifyReply_KnownErrors(string reply, string expected)
    {
        Assert.Equal(expected, RedisErrors.ClassifyReply(reply));
    }
}
