using Polly.Timeout;
using Portal.Probes.Contract;
using Portal.Web.Resilience;

namespace Portal.Web.Tests.Resilience;

/// <summary>Which run outcomes count against a target's breaker: failures to reach it, not problems it answered with.</summary>
public sealed class TargetFailuresTests
{
    private static ProbeResult Result(string key, string value) =>
        new(new Verdict(VerdictStatus.Fail, "summary"), "summary", new Dictionary<string, string> { [key] = value });

    [Theory]
    [InlineData("redis.error", "refused")]
    [InlineData("redis.error", "timeout")]
    [InlineData("pg.error", "connection_lost")]
    [InlineData("http.error", "reset")]
    [InlineData("redis.error", "closed")]
    [InlineData("tcp.error", "unreachable")]
    public void Describe_TargetUnreachable_IsAFailureNamingTheFinding(string key, string value) =>
        Assert.Equal($"{key}={value}: summary", TargetFailures.Describe(Result(key, value), null, TimeSpan.FromSeconds(5)));

    [Theory]
    [InlineData("pg.error", "auth_failed")]
    [InlineData("redis.error", "loading")]
    [InlineData("http.error", "dns")]
    [InlineData("http.error", "refused_by_policy")]
    [InlineData("http.status", "500")]
    public void Describe_TargetAnsweredWithAProblem_IsNotAFailure(string key, string value) =>
        Assert.Null(TargetFailures.Describe(Result(key, value), null, TimeSpan.FromSeconds(5)));

    [Fact]
    public void Describe_TimeLimitHit_IsAFailure_ProbeBugIsNot()
    {
        Assert.Equal("timeout: no answer within the run's time limit of 7 s", TargetFailures.Describe(null, new TimeoutRejectedException(), TimeSpan.FromSeconds(7)));
        Assert.Null(TargetFailures.Describe(null, new InvalidOperationException("probe bug"), TimeSpan.FromSeconds(7)));
    }

    [Fact]
    public void Guards_ServiceProbesOnly()
    {
        static ProbeDescriptor Probe(params TargetKind[] kinds) => new("k", "t", "t", "d", kinds, [], TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        Assert.True(TargetBreakers.Guards(Probe(TargetKind.Redis)));
        Assert.True(TargetBreakers.Guards(Probe(TargetKind.Http, TargetKind.Prometheus)));
        Assert.False(TargetBreakers.Guards(Probe(TargetKind.Host, TargetKind.Redis)));
    }
}
