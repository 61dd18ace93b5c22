using Polly;
using Polly.CircuitBreaker;

namespace Portal.Web.Resilience;

/// <summary>
/// One target's circuit breaker: the Polly pipeline every run against it goes through, and what
/// the page shows about it (since when it is open, the last failure to reach the target).
/// </summary>
public sealed class TargetBreaker
{
    private readonly Lock _gate = new();
    private DateTimeOffset? _openSince;
    private TimeSpan _breakDuration;
    private string? _lastError;
    private DateTimeOffset? _lastErrorAt;

    internal TargetBreaker(string environment, string target)
    {
        Environment = environment;
        Target = target;
    }

    public string Environment { get; }

    public string Target { get; }

    /// <summary>Circuit breaker (outermost) around the run's time limit.</summary>
    public ResiliencePipeline<ProbeResult> Pipeline { get; internal set; } = ResiliencePipeline<ProbeResult>.Empty;

    internal CircuitBreakerStateProvider StateProvider { get; } = new();

    internal CircuitBreakerManualControl Control { get; } = new();

    /// <summary>The last failure to reach the target, for the answer of an open breaker.</summary>
    public (string? Error, DateTimeOffset? At) LastError
    {
        get
        {
            lock (_gate)
            {
                return (_lastError, _lastErrorAt);
            }
        }
    }

    public BreakerState Snapshot(DateTimeOffset now)
    {
        lock (_gate)
        {
            var state = StateProvider.CircuitState;
            var retryAt = _openSince + _breakDuration;
            var name = state switch
            {
                CircuitState.Closed => BreakerState.Closed,
                CircuitState.HalfOpen => BreakerState.HalfOpen,
                // Polly moves to half-open lazily, when the next run arrives after the break; until
                // then the next run is the test, which is what half-open means to a person.
                _ when retryAt <= now => BreakerState.HalfOpen,
                _ => BreakerState.Open,
            };
            return name == BreakerState.Closed
                ? new BreakerState(name, null, null, _lastError, _lastErrorAt)
                : new BreakerState(name, _openSince, retryAt, _lastError, _lastErrorAt);
        }
    }

    internal void NoteFailure(string error, DateTimeOffset at)
    {
        lock (_gate)
        {
            (_lastError, _lastErrorAt) = (error, at);
        }
    }

    internal void NoteOpened(DateTimeOffset at, TimeSpan breakDuration)
    {
        lock (_gate)
        {
            (_openSince, _breakDuration) = (at, breakDuration);
        }
    }

    internal void NoteClosed()
    {
        lock (_gate)
        {
            _openSince = null;
        }
    }
}
