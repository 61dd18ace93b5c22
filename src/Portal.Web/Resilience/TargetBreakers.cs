using System.Collections.Concurrent;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
using Polly.Timeout;
using Portal.Probes.Contract;

namespace Portal.Web.Resilience;

/// <summary>
/// Time limits and per-target circuit breakers for probe runs. Every run goes through a Polly
/// pipeline with its time limit; runs of probes that talk to the target's service also go through
/// that target's breaker, which opens after repeated failures to reach it (see
/// <see cref="TargetFailures"/>) and then answers at once instead of hammering a dying server.
/// </summary>
public sealed class TargetBreakers(
    ResiliencePipelineRegistry<string> registry,
    TargetResilienceOptions options,
    TimeProvider time,
    ILogger<TargetBreakers> logger)
{
    /// <summary>The run's time limit, read by the timeout strategy (each run has its own).</summary>
    public static readonly ResiliencePropertyKey<TimeSpan> TimeLimit = new("portal.run.time_limit");

    private const string TimeLimitOnlyKey = "run-time-limit";

    private readonly ConcurrentDictionary<string, Lazy<TargetBreaker>> _breakers = new(StringComparer.Ordinal);

    /// <summary>
    /// True for probes that talk to the target's service (postgres.*, redis.*, http.*, workflow.status,
    /// prometheus.query): those are what a breaker protects a dying server from. Host-level and
    /// address-level probes (their target kinds include Host: port owner, units, logs, memory, tcp.connect,
    /// dns, tls, trace) stay available while a breaker is open: they are how the engineer finds out why.
    /// </summary>
    public static bool Guards(ProbeDescriptor probe) => !probe.TargetKinds.Contains(TargetKind.Host);

    /// <summary>The pipeline for a run: the target's breaker and the time limit, or the time limit alone.</summary>
    public ResiliencePipeline<ProbeResult> PipelineFor(ProbeDescriptor probe, string environment, string target) =>
        Guards(probe)
            ? For(environment, target).Pipeline
            : registry.GetOrAddPipeline<ProbeResult>(TimeLimitOnlyKey, builder => builder.AddTimeout(TimeLimitOptions()));

    public TargetBreaker For(string environment, string target) =>
        _breakers.GetOrAdd(Key(environment, target), _ => new Lazy<TargetBreaker>(() => Create(environment, target))).Value;

    /// <summary>The breaker's state; closed when no guarded probe ran against the target yet.</summary>
    public BreakerState StateOf(string environment, string target) =>
        _breakers.TryGetValue(Key(environment, target), out var breaker) ? breaker.Value.Snapshot(time.GetUtcNow()) : BreakerState.Untouched;

    /// <summary>Targets whose breaker is open or half-open now.</summary>
    public int OpenCount()
    {
        var now = time.GetUtcNow();
        return _breakers.Values.Count(b => b.IsValueCreated && b.Value.Snapshot(now).State != BreakerState.Closed);
    }

    /// <summary>Closes the breaker: the target was edited (a new address deserves a fresh try) or removed.</summary>
    public async Task ResetAsync(string environment, string target)
    {
        if (_breakers.TryGetValue(Key(environment, target), out var breaker))
        {
            await breaker.Value.Control.CloseAsync();
        }
    }

    private TargetBreaker Create(string environment, string target)
    {
        var breaker = new TargetBreaker(environment, target);
        breaker.Pipeline = registry.GetOrAddPipeline<ProbeResult>(Key(environment, target), builder => builder
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<ProbeResult>
            {
                Name = "target-breaker",
                MinimumThroughput = options.MinimumThroughput,
                FailureRatio = options.FailureRatio,
                SamplingDuration = options.SamplingDuration,
                BreakDuration = options.BreakDuration,
                StateProvider = breaker.StateProvider,
                ManualControl = breaker.Control,
                ShouldHandle = args => ValueTask.FromResult(IsFailure(breaker, args.Outcome, args.Context)),
                OnOpened = args =>
                {
                    breaker.NoteOpened(time.GetUtcNow(), args.BreakDuration);
                    logger.LogWarning("Circuit of target {Environment}/{Target} opened for {BreakSeconds} s: {LastError}",
                        environment, target, args.BreakDuration.TotalSeconds, breaker.LastError.Error);
                    return default;
                },
                OnHalfOpened = _ =>
                {
                    logger.LogInformation("Circuit of target {Environment}/{Target} half-open: the next run tests it", environment, target);
                    return default;
                },
                OnClosed = _ =>
                {
                    breaker.NoteClosed();
                    logger.LogInformation("Circuit of target {Environment}/{Target} closed", environment, target);
                    return default;
                },
            })
            .AddTimeout(TimeLimitOptions()));
        return breaker;
    }

    private bool IsFailure(TargetBreaker breaker, Outcome<ProbeResult> outcome, ResilienceContext context)
    {
        var limit = context.Properties.GetValue(TimeLimit, TimeSpan.Zero);
        var error = TargetFailures.Describe(outcome.Result, outcome.Exception, limit);
        // Polly has no "neither" outcome: a run stopped by a person counts as a success, which is
        // right while closed (it says nothing bad about the target) but must not close a half-open
        // breaker: the test run never finished, so the target is still unproven.
        if (error is null && outcome.Exception is OperationCanceledException && breaker.StateProvider.CircuitState == CircuitState.HalfOpen)
        {
            error = "the run that was testing the target (half-open) was stopped before it finished";
        }

        if (error is not null)
        {
            breaker.NoteFailure(error, time.GetUtcNow());
        }

        return error is not null;
    }

    private static TimeoutStrategyOptions TimeLimitOptions() => new()
    {
        Name = "run-time-limit",
        TimeoutGenerator = args => ValueTask.FromResult(args.Context.Properties.GetValue(TimeLimit, Timeout.InfiniteTimeSpan)),
    };

    private static string Key(string environment, string target) => $"target:{environment}/{target}";
}
