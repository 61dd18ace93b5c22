using Portal.Web.Observability;
using Portal.Web.Resilience;

namespace Portal.Web.Tests.Observability;

/// <summary>/metrics' degraded-mode gauge follows the portal's own degraded state.</summary>
public sealed class DegradedModeGaugeTests
{
    [Fact]
    public void Gauge_FollowsTheDatabaseAndRedisOutages()
    {
        var state = new PortalDegradedState(TimeProvider.System);
        var gauge = new DegradedModeGauge(state);

        state.DatabaseFailed("connection refused");
        Assert.True(gauge.IsDegraded("postgres"));
        Assert.False(gauge.IsDegraded("redis"));

        state.RedisFailed("timeout");
        state.DatabaseRecovered();
        Assert.False(gauge.IsDegraded("postgres"));
        Assert.True(gauge.IsDegraded("redis"));
    }
}
