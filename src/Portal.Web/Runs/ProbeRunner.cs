using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using Portal.Probes;
using Portal.Probes.Contract;
using Portal.Probes.Network;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using Portal.Web.Inventory;
using Portal.Web.Resilience;
using Serilog.Context;

namespace Portal.Web.Runs;

/// <summary>
/// Runs probes. Wraps every probe with: validation, a run id and sequence numbers, a time limit,
/// cancellation, output limits (head and tail kept, drops counted and said), redaction of secrets
/// before any event leaves it, persistence of the run and its events, and the live feed.
/// </summary>
public sealed class ProbeRunner(
    ProbeCatalog catalog,
    InventoryStore inventory,
    NetworkGuard guard,
    RunStore store,
    RunRegistry registry,
    RunnerOptions options,
    IHostApplicationLifetime lifetime,
    Auth.AuditLog audit,
    Hosting.ProbeRunLimiter limiter,
    TargetBreakers breakers,
    Observability.PortalMetrics metrics,
    TimeProvider time,
    ILogger<ProbeRunner> logger,
    RedisRunRelay? relay = null) : IRunControl
{
    /// <summary>Finding values (of "*.error") that mean the policy refused the connection or file: audited as probe.refused.</summary>
    private static readonly HashSet<string> PolicyRefusals = ["refused_by_policy", "redirect_refused", "scheme_refused"];

    private readonly ConcurrentDictionary<Guid, Task> _running = new();

    /// <param name="source">Where the request came from (client address, or "ui"), for the audit log.</param>
    public Task<RunStartResult> StartAsync(RunRequest request, string user, string source, CancellationToken ct) =>
        StartAsync(request, user, source, limited: true, ct);

    /// <summary>A check of a triage sweep: the sweep has already counted once against the user's rate limit.</summary>
    public Task<RunStartResult> StartForSweepAsync(RunRequest request, string user, string source, CancellationToken ct) =>
        StartAsync(request, user, source, limited: false, ct);

    private async Task<RunStartResult> StartAsync(RunRequest request, string user, string source, bool limited, CancellationToken ct)
    {
        var (result, run) = limited && limiter.TryAcquire(user) is { } wait
            ? (RunStartResult.RateLimited(wait), null)
            : await TryStartAsync(request, user, ct);
        await audit.WriteAsync(user, source, "probe.run", $"{Shorten(request.Environment)}/{Shorten(request.Target)}",
            result.RunId is not null ? "started" : result.RetryAfter is not null ? "rate_limited" : "refused",
            new { kind = Shorten(request.Kind), runId = result.RunId, errors = result.Errors, parameters = run?.Parameters }, ct);
        return result;
    }

    /// <returns>The outcome, and the stored run (parameters masked) when one was started.</returns>
    private async Task<(RunStartResult Result, RunRecord? Run)> TryStartAsync(RunRequest request, string user, CancellationToken ct)
    {
        // JSON null reaches here despite the non-nullable record (the API binds whatever was sent).
        foreach (var (field, value) in new[] { ("kind", request.Kind), ("environment", request.Environment), ("target", request.Target) })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                return (RunStartResult.Refused(field, $"{field} is required."), null);
            }
        }

        if (catalog.Find(request.Kind) is not { } probe)
        {
            return (RunStartResult.Refused("kind", $"There is no probe '{Shorten(request.Kind)}'."), null);
        }

        var validation = ParameterValidator.Validate(probe.Descriptor, request.Parameters);
        if (!validation.IsValid)
        {
            return (new RunStartResult(null, validation.Errors), null);
        }

        var target = await inventory.ResolveAsync(request.Environment, request.Target, ct);
        if (target is null)
        {
            return (RunStartResult.Refused("target", $"There is no target '{Shorten(request.Target)}' in environment '{Shorten(request.Environment)}'."), null);
        }

        if (!Fits(probe.Descriptor, target))
        {
            return (RunStartResult.Refused("target",
                $"'{probe.Descriptor.Kind}' runs against {string.Join(" or ", probe.Descriptor.TargetKinds)} targets; '{target.Name}' is {target.Kind}."), null);
        }

        var max = probe.Descriptor.MaxTimeout;
        if (request.TimeoutSeconds is { } seconds && (seconds < 1 || seconds > max.TotalSeconds))
        {
            return (RunStartResult.Refused("timeoutSeconds", $"timeoutSeconds must be between 1 and {max.TotalSeconds:0}."), null);
        }

        var timeout = request.TimeoutSeconds is { } s ? TimeSpan.FromSeconds(s) : probe.Descriptor.DefaultTimeout;
        var secretNames = probe.Descriptor.Parameters.Where(p => p.Secret).Select(p => p.Name).ToHashSet();
        var redactor = new Redactor(target.SecretValues.Concat(validation.Values.Where(v => secretNames.Contains(v.Key)).Select(v => v.Value)));
        var run = new RunRecord(
            Guid.CreateVersion7(), probe.Descriptor.Kind, target.Environment, target.Name,
            validation.Values.ToDictionary(v => v.Key, v => secretNames.Contains(v.Key) ? Redactor.Mask : redactor.Redact(v.Value)!),
            user, DateTimeOffset.UtcNow, null, RunStatus.Running, "", new Dictionary<string, string>(), 0, 0);
        await store.InsertAsync(run, ct);

        var feed = registry.Open(run.Id);
        relay?.Publish(feed); // viewers on other instances
        var probeRequest = new ProbeRequest { Target = target, Parameters = validation.Values, Network = guard, Timeout = timeout };
        // The run outlives the request that started it: it is not tied to the caller's token.
        _running[run.Id] = Task.Run(() => ExecuteAsync(probe, probeRequest, run, feed, redactor), CancellationToken.None);
        return (new RunStartResult(run.Id, new Dictionary<string, string>()), run);
    }

    /// <summary>Asks a run to stop; it records itself as cancelled. False when it is not running here.</summary>
    public bool Cancel(Guid runId) => registry.Cancel(runId);

    /// <summary>Cancels every running probe and waits for each to record how it ended (graceful shutdown).</summary>
    public async Task StopAllAsync(TimeSpan wait)
    {
        registry.CancelAll();
        await Task.WhenAny(Task.WhenAll(_running.Values), Task.Delay(wait));
    }

    /// <summary>Host-level probes (Host) run on the machine of any target; the others need their own kind.</summary>
    public static bool Fits(ProbeDescriptor probe, ProbeTarget target) =>
        probe.TargetKinds.Contains(target.Kind) || probe.TargetKinds.Contains(TargetKind.Host);

    private async Task ExecuteAsync(IProbe probe, ProbeRequest request, RunRecord run, RunFeed feed, Redactor redactor)
    {
        using var runScope = LogContext.PushProperty("RunId", run.Id);
        using var cancel = registry.CancellationFor(run.Id, lifetime.ApplicationStopping);
        using var active = metrics.RunStarted(run.Kind);

        var output = new RunOutput(run.Id, feed, redactor, options);
        var persist = Task.Run(() => PersistAsync(output.Persisted.Reader), CancellationToken.None);
        output.Status("started", $"{run.Kind} on {run.Environment}/{run.Target}");

        // The time limit and the target's circuit breaker are Polly strategies (TargetBreakers).
        var pipeline = breakers.PipelineFor(probe.Descriptor, run.Environment, run.Target);
        var context = ResilienceContextPool.Shared.Get(cancel.Token);
        context.Properties.Set(TargetBreakers.TimeLimit, request.Timeout);
        Outcome<ProbeResult> outcome;
        try
        {
            outcome = await pipeline.ExecuteOutcomeAsync(
                static async (ctx, state) => await RunProbeAsync(state.probe, state.request, state.output, state.redactor, ctx.CancellationToken),
                context,
                (probe, request, output, redactor));
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        string status;
        string summary;
        switch (outcome.Exception)
        {
            case null:
                var verdict = outcome.Result!.Verdict ?? output.Add(new Verdict(VerdictStatus.Error, "The probe ended without a verdict."));
                (status, summary) = (verdict.Status.ToString().ToLowerInvariant(), verdict.Summary);
                break;
            case BrokenCircuitException:
                summary = CircuitOpen(breakers.For(run.Environment, run.Target), output);
                status = "fail";
                break;
            case OperationCanceledException when cancel.IsCancellationRequested:
                (status, summary) = (RunStatus.Cancelled, lifetime.ApplicationStopping.IsCancellationRequested
                    ? "Cancelled: the portal is shutting down."
                    : "Cancelled by a person before the probe finished.");
                break;
            case TimeoutRejectedException:
                (status, summary) = (RunStatus.Timeout, $"Stopped at the time limit of {request.Timeout.TotalSeconds:0} s.");
                break;
            case var ex:
                // A probe must not throw; when one does, the run still ends with a reason.
                // Exception messages can quote what the probe saw (a connection string, a password): only redacted text is logged.
                logger.LogError("Probe {Kind} threw: {Exception}", run.Kind, redactor.Redact(ex.ToString()));
                output.Add(new Verdict(VerdictStatus.Error, $"The probe failed: {ex.Message}"));
                (status, summary) = ("error", $"The probe failed: {ex.Message}");
                break;
        }

        active.Finished(status);
        summary = redactor.Redact(summary)!;
        output.Finish(status, summary);
        await persist;
        await store.FinishAsync(run.Id, status, summary, output.Findings, output.OutputLines, output.DroppedLines, DateTimeOffset.UtcNow, CancellationToken.None);
        registry.Complete(run.Id);
        _running.TryRemove(run.Id, out _);
        if (output.Findings.FirstOrDefault(f => f.Key.EndsWith(".error", StringComparison.Ordinal) && PolicyRefusals.Contains(f.Value)) is { Key: not null } refusal)
        {
            // The request was fine; the network or file policy stopped it. Security wants to see these.
            await audit.WriteAsync(run.RequestedBy, "runner", "probe.refused", $"{run.Environment}/{run.Target}", "refused",
                new { kind = run.Kind, runId = run.Id, reason = refusal.Value, summary }, CancellationToken.None);
        }

        logger.LogInformation("Run {Kind} on {Environment}/{Target} ended {Status}: {Summary}", run.Kind, run.Environment, run.Target, status, summary);
    }

    /// <summary>Runs the probe to its end, feeding its events to the run's output. Cancellation (a person, shutdown, the time limit) surfaces as OperationCanceledException.</summary>
    private static async ValueTask<Outcome<ProbeResult>> RunProbeAsync(IProbe probe, ProbeRequest request, RunOutput output, Redactor redactor, CancellationToken ct)
    {
        try
        {
            Verdict? verdict = null;
            await foreach (var e in probe.RunAsync(request, ct).WithCancellation(ct))
            {
                if (e is Verdict v)
                {
                    verdict = v;
                }

                output.Add(e);
            }

            return Outcome.FromResult(new ProbeResult(verdict, redactor.Redact(verdict?.Summary) ?? "", new Dictionary<string, string>(output.Findings)));
        }
        catch (Exception ex)
        {
            return Outcome.FromException<ProbeResult>(ex);
        }
    }

    /// <summary>
    /// The answer of an open breaker, at once and without contacting the target: since when, the last
    /// error, when it will be tried again. The last error's finding is repeated, so a walkthrough
    /// branches as it would have on a run that reached the target and failed the same way.
    /// </summary>
    private string CircuitOpen(TargetBreaker breaker, RunOutput output)
    {
        var state = breaker.Snapshot(time.GetUtcNow());
        var since = state.OpenSince ?? time.GetUtcNow();
        var lastError = state.LastError ?? "unknown";
        output.Add(new OutputLine($"Not contacting {breaker.Environment}/{breaker.Target}: its circuit breaker is open.", OutputStream.Info));
        output.Add(new Finding("circuit.state", BreakerState.Open));
        output.Add(new Finding("circuit.open_since", since.ToString("O", CultureInfo.InvariantCulture)));
        output.Add(new Finding("circuit.last_error", lastError));
        if (lastError.Split(':', 2)[0].Split('=', 2) is [var key, var value] && key.EndsWith(".error", StringComparison.Ordinal))
        {
            output.Add(new Finding(key, value));
        }

        var retry = state.RetryAt is { } at ? $" One run will test it again after {at:HH:mm:ss} UTC." : "";
        var summary = $"Circuit open since {since:yyyy-MM-dd HH:mm:ss} UTC, last error: {lastError}. The target was not contacted.{retry}";
        output.Add(new Verdict(VerdictStatus.Fail, summary));
        return summary;
    }

    /// <summary>Writes events in batches; the last batch is written before the run is marked finished.</summary>
    private async Task PersistAsync(ChannelReader<RunEvent> events)
    {
        var batch = new List<RunEvent>(options.PersistBatchSize);
        while (await events.WaitToReadAsync())
        {
            while (batch.Count < options.PersistBatchSize && events.TryRead(out var e))
            {
                batch.Add(e);
            }

            try
            {
                await store.AppendEventsAsync(batch, CancellationToken.None);
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
            {
                // Live viewers still get everything; only the replay copy misses this batch.
                logger.LogWarning(ex, "Could not store {Count} run events", batch.Count);
            }

            batch.Clear();
            if (events.TryPeek(out _) is false)
            {
                await Task.Delay(options.PersistInterval);
            }
        }
    }

    private static string Shorten(string? value) => ProbeText.Clip(value);
}
