using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Portal.Web.Observability;

/// <summary>
/// Degraded mode on /metrics: portal_degraded{dependency="postgres|redis"} is 1 while
/// <see cref="Resilience.PortalDegradedState"/> says the portal runs without it; <see cref="Set"/>
/// lets anything else that degrades report itself the same way.
/// </summary>
public sealed class DegradedModeGauge
{
    public DegradedModeGauge(Resilience.PortalDegradedState state)
    {
        void Follow()
        {
            Set("postgres", state.DatabaseDown);
            Set("redis", state.RedisDown);
        }

        state.Changed += Follow;
        Follow();
    }

    private readonly ConcurrentDictionary<string, bool> _degraded = new(StringComparer.Ordinal)
    {
        ["postgres"] = false,
        ["redis"] = false,
    };

    public void Set(string dependency, bool degraded) => _degraded[dependency] = degraded;

    public bool IsDegraded(string dependency) => _degraded.TryGetValue(dependency, out var value) && value;

    internal IEnumerable<Measurement<int>> Observe() =>
        _degraded.Select(d => new Measurement<int>(d.Value ? 1 : 0, new KeyValuePair<string, object?>("dependency", d.Key)));
}
