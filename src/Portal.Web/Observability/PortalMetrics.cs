using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Portal.Web.Observability;

/// <summary>
/// The portal's own instruments (meter "Portal"), exported on /metrics: probe runs by kind and
/// outcome with durations, active runs, Blazor circuits and hub connections, open target
/// breakers, the degraded-mode gauge and the latency of the portal's PostgreSQL and Redis.
/// </summary>
public sealed class PortalMetrics
{
    public const string MeterName = "Portal";

    private readonly Counter<long> _runs;
    private readonly Histogram<double> _runDuration;
    private readonly UpDownCounter<long> _activeRuns;
    private readonly UpDownCounter<long> _circuits;
    private readonly UpDownCounter<long> _hubConnections;
    private readonly Histogram<double> _dependencyLatency;

    public PortalMetrics(IMeterFactory meters, DegradedModeGauge degraded, Resilience.TargetBreakers breakers)
    {
        var meter = meters.Create(MeterName);
        _runs = meter.CreateCounter<long>("portal.probe.runs", "{run}", "Probe runs that ended, by kind and outcome (pass, warn, fail, error, timeout, cancelled).");
        _runDuration = meter.CreateHistogram<double>("portal.probe.run.duration", "s", "How long probe runs took, by kind and outcome.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300] });
        _activeRuns = meter.CreateUpDownCounter<long>("portal.probe.runs.active", "{run}", "Probe runs running now on this instance.");
        _circuits = meter.CreateUpDownCounter<long>("portal.blazor.circuits.active", "{circuit}", "Open Blazor circuits (interactive pages) on this instance.");
        _hubConnections = meter.CreateUpDownCounter<long>("portal.hub.connections.active", "{connection}", "Connections to /hubs/runs on this instance.");
        _dependencyLatency = meter.CreateHistogram<double>("portal.dependency.latency", "s", "Round trip to the portal's own PostgreSQL and Redis, measured by the health checks.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3] });
        meter.CreateObservableGauge("portal.degraded", degraded.Observe, "{state}",
            "1 while the portal runs without the named dependency (degraded mode), else 0.");
        meter.CreateObservableGauge("portal.target.breakers.open", () => breakers.OpenCount(), "{breaker}",
            "Targets whose circuit breaker is open or half-open.");
    }

    /// <summary>Counts a run as active until <see cref="ActiveRun.Finished"/> records its outcome; disposing ends it.</summary>
    public ActiveRun RunStarted(string kind)
    {
        _activeRuns.Add(1);
        return new ActiveRun(this, kind, Stopwatch.GetTimestamp());
    }

    public void CircuitOpened() => _circuits.Add(1);

    public void CircuitClosed() => _circuits.Add(-1);

    public void HubConnected() => _hubConnections.Add(1);

    public void HubDisconnected() => _hubConnections.Add(-1);

    public void DependencyLatency(string dependency, TimeSpan elapsed) =>
        _dependencyLatency.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("dependency", dependency));

    /// <summary>One run's measurement: its outcome once known, and its end.</summary>
    public sealed class ActiveRun(PortalMetrics metrics, string kind, long started) : IDisposable
    {
        private bool _done;

        public void Finished(string outcome)
        {
            if (_done)
            {
                return;
            }

            _done = true;
            var tags = new TagList { { "kind", kind }, { "outcome", outcome } };
            metrics._runs.Add(1, tags);
            metrics._runDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
            metrics._activeRuns.Add(-1);
        }

        public void Dispose() => Finished("error");
    }
}
