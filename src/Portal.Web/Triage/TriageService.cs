using Portal.Probes;
using Portal.Runbooks.Engine;
using Portal.Runbooks.Model;
using Portal.Runbooks.Storage;
using Portal.Web.Incidents;
using Portal.Web.Inventory;
using Portal.Web.Runs;

namespace Portal.Web.Triage;

/// <summary>
/// Sweeps an environment: every check of its definition on every target it applies to, all at once (each
/// bounded by its probe's time limit, so the sweep lasts as long as its slowest check), recorded like runs;
/// then ranks the runbooks whose triage rules match what was found. The page and the API both go through here.
/// </summary>
public sealed class TriageService(
    TriageStore store,
    InventoryStore inventory,
    RunbookStore runbooks,
    ProbeRunner runner,
    RunStore runs,
    ProbeCatalog catalog,
    IRunEventSource events,
    TriageChanges changes,
    WalkthroughService walkthroughs,
    Hosting.ProbeRunLimiter limiter,
    IHostApplicationLifetime lifetime,
    ILogger<TriageService> logger)
{
    private static readonly TimeSpan RowWait = TimeSpan.FromSeconds(30);

    /// <summary>Starts a sweep; returns its id at once. The matrix fills as checks end (<see cref="TriageChanges"/>).</summary>
    public async Task<Guid> StartAsync(string? environment, string user, string source, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(environment) || environment.Length > 63 || environment.Any(char.IsControl))
        {
            throw new TriageException("environment", "environment is required: the name of an environment, e.g. lab.");
        }

        if (!await inventory.EnvironmentExistsAsync(environment, ct))
        {
            throw new TriageException("environment", $"There is no environment '{Portal.Probes.Contract.ProbeText.Clip(environment)}'.");
        }

        // A sweep counts once against the user's probe-run limit, however many checks it runs.
        if (limiter.TryAcquire(user) is { } wait)
        {
            throw new TriageException("rate", $"Too many probe runs: wait {Math.Ceiling(wait.TotalSeconds):0} s.", retryAfter: wait);
        }

        var targets = await inventory.ListTargetsAsync(environment, ct);
        var definition = await store.GetDefinitionAsync(environment, ct) ?? SweepDefinition.Defaults(targets);
        var sweepId = Guid.CreateVersion7();
        var planned = definition.Checks
            .SelectMany(check => targets.Where(check.Applies).Select(target => (check, target)))
            .Where(p => catalog.Find(p.check.Probe) is { } probe && ProbeRunner.Fits(probe.Descriptor, new() { Environment = environment, Name = p.target.Name, Role = p.target.Role, Kind = p.target.Kind }))
            .DistinctBy(p => (p.target.Name, p.check.Probe))
            .ToList();
        if (planned.Count == 0)
        {
            throw new TriageException("environment", $"Environment '{environment}' has no target the sweep definition applies to.");
        }

        var started = await Task.WhenAll(planned.Select(async p =>
        {
            var result = await runner.StartForSweepAsync(
                new RunRequest(p.check.Probe, environment, p.target.Name, p.check.Parameters.ToDictionary(x => x.Key, x => (string?)x.Value), p.check.TimeoutSeconds),
                user, $"triage {sweepId}", ct);
            return new SweepCell(p.target.Name, p.target.Role, p.check.Probe, result.RunId,
                result.RunId is null ? string.Join(" ", result.Errors.Select(e => $"{e.Key}: {e.Value}")) : null);
        }));
        var sweep = new SweepRecord(sweepId, environment, user, DateTimeOffset.UtcNow, null, SweepStatus.Running, started, []);
        await store.InsertAsync(sweep, ct);
        _ = Task.Run(() => WatchAsync(sweep), CancellationToken.None);
        logger.LogInformation("Triage sweep {SweepId} of {Environment} started by {User}: {Count} checks", sweepId, environment, user, started.Length);
        return sweepId;
    }

    /// <summary>The sweep as it stands. A sweep whose watcher is gone (the portal restarted) is finished here once its runs have ended.</summary>
    public async Task<SweepView> GetAsync(Guid id, CancellationToken ct = default)
    {
        var sweep = await store.GetAsync(id, ct) ?? throw new TriageException("id", $"There is no sweep {id}.", notFound: true);
        var cells = new List<SweepCellView>();
        foreach (var cell in sweep.Cells)
        {
            var run = cell.RunId is { } runId ? await runs.GetAsync(runId, ct) : null;
            cells.Add(run is null
                ? new SweepCellView(cell.Target, cell.Role, cell.Probe, cell.RunId, "error", cell.Error ?? "not started", new Dictionary<string, string>())
                : new SweepCellView(cell.Target, cell.Role, cell.Probe, cell.RunId, run.Status, run.Summary, run.Findings));
        }

        var suggestions = sweep.Suggestions;
        if (sweep.Status == SweepStatus.Running)
        {
            suggestions = await RankAsync(cells, ct);
            if (cells.All(c => c.Status != RunStatus.Running) && !Watching(id))
            {
                await store.FinishAsync(id, suggestions, ct);
                sweep = await store.GetAsync(id, ct) ?? sweep;
            }
        }

        return new SweepView(
            sweep.Id, sweep.Environment, sweep.RequestedBy, sweep.StartedAt, sweep.FinishedAt, sweep.Status,
            [.. sweep.Cells.Select(c => c.Target).Distinct()], [.. sweep.Cells.Select(c => c.Probe).Distinct()], cells, suggestions);
    }

    public Task<IReadOnlyList<(Guid Id, string Environment, DateTimeOffset StartedAt, string Status)>> ListAsync(int limit = 20, CancellationToken ct = default) =>
        store.ListAsync(Math.Clamp(limit, 1, 200), ct);

    /// <summary>The environment's sweep definition: its own, or the defaults for its targets.</summary>
    public async Task<(SweepDefinition Definition, bool IsDefault)> GetDefinitionAsync(string environment, CancellationToken ct = default)
    {
        if (!await inventory.EnvironmentExistsAsync(environment, ct))
        {
            throw new TriageException("environment", $"There is no environment '{Portal.Probes.Contract.ProbeText.Clip(environment)}'.", notFound: true);
        }

        return await store.GetDefinitionAsync(environment, ct) is { } own
            ? (own, false)
            : (SweepDefinition.Defaults(await inventory.ListTargetsAsync(environment, ct)), true);
    }

    /// <summary>Sets (or, with null, resets to the defaults) the environment's sweep definition.</summary>
    public async Task SetDefinitionAsync(string environment, SweepDefinition? definition, string user, CancellationToken ct = default)
    {
        if (!await inventory.EnvironmentExistsAsync(environment, ct))
        {
            throw new TriageException("environment", $"There is no environment '{Portal.Probes.Contract.ProbeText.Clip(environment)}'.", notFound: true);
        }

        if (definition is not null && definition.Validate(catalog) is { Count: > 0 } errors)
        {
            var (field, messages) = errors.First();
            throw new TriageException(field, messages[0]);
        }

        await store.SetDefinitionAsync(environment, definition, user, ct);
    }

    /// <summary>
    /// Starts a walkthrough of <paramref name="slug"/> from the sweep: at the step its matching triage rule names,
    /// with the sweep's runs of that step's probe recorded as the step's results.
    /// </summary>
    public async Task<IncidentStarted> StartWalkthroughAsync(Guid id, string? slug, string user, CancellationToken ct = default)
    {
        var sweep = await GetAsync(id, ct);
        var suggestion = sweep.Suggestions.FirstOrDefault(s => s.Slug == slug)
            ?? throw new TriageException("runbook", $"Sweep {id} does not suggest '{Portal.Probes.Contract.ProbeText.Clip(slug)}'; pick one of: {string.Join(", ", sweep.Suggestions.Select(s => s.Slug))}.");
        var note = $"Triage sweep {id} of {sweep.Environment}: {suggestion.Reason.In(Languages.English)}";
        return await walkthroughs.StartFromFindingsAsync(suggestion.Slug, sweep.Environment, user, suggestion.Step, suggestion.RunIds, note, ct);
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, bool> _watching = new();

    private bool Watching(Guid id) => _watching.ContainsKey(id);

    /// <summary>Waits for every check to end (announcing each), then records the ranking.</summary>
    private async Task WatchAsync(SweepRecord sweep)
    {
        _watching[sweep.Id] = true;
        var token = lifetime.ApplicationStopping;
        try
        {
            await Task.WhenAll(sweep.Cells.Where(c => c.RunId is not null).Select(async c =>
            {
                await foreach (var _ in events.ReadAsync(c.RunId!.Value, 0, TimeSpan.FromMilliseconds(200), token))
                {
                    // Only the end matters here.
                }

                var deadline = DateTimeOffset.UtcNow + RowWait;
                while ((await runs.GetAsync(c.RunId.Value, token))?.Status == RunStatus.Running && DateTimeOffset.UtcNow < deadline)
                {
                    await Task.Delay(25, token);
                }

                changes.Publish(sweep.Id);
            }));
            var view = await GetAsync(sweep.Id, token);
            await store.FinishAsync(sweep.Id, await RankAsync(view.Cells, token), token);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Finished on the next read.
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Watching triage sweep {SweepId} failed; it is finished on the next read", sweep.Id);
        }
        finally
        {
            _watching.TryRemove(sweep.Id, out _);
            changes.Publish(sweep.Id);
        }
    }

    private async Task<IReadOnlyList<SweepSuggestion>> RankAsync(IReadOnlyList<SweepCellView> cells, CancellationToken ct)
    {
        var results = cells
            .Where(c => c.RunId is not null && Verdict(c.Status) is not null)
            .Select(c => new TriageResult(c.RunId!.Value, c.Probe, c.Target, c.Role, Verdict(c.Status)!, c.Findings))
            .ToList();
        var current = await runbooks.ListCurrentAsync(ct: ct);
        return [.. TriageMatcher.Rank(current.Select(v => (v.Slug, v.Content)), results).Select(s => new SweepSuggestion(
            s.Slug, s.Title, s.Score, s.Reason, s.Step, s.Evidence[0].Probe, s.Evidence[0].Target, [.. s.Evidence.Select(e => e.RunId)]))];
    }

    /// <summary>The verdict the rules see: a timed-out check counts as an error, a running or cancelled one not at all.</summary>
    private static string? Verdict(string status) => status switch
    {
        "pass" or "warn" or "fail" or "error" => status,
        RunStatus.Timeout => "error",
        _ => null,
    };
}
