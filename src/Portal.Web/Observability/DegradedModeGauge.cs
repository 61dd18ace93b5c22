using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Portal.Web.Observability;

/// <summary>
/// The hook for degraded mode: whoever detects that the portal runs without its PostgreSQL or
/// Redis calls <see cref="Set"/>; /metrics shows portal_degraded{dependency="…"} 1 while it
/// lasts. Both dependencies read 0 until someone says otherwise.
/// </summary>
public sealed class DegradedModeGauge
{
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
