using System.Text.Json;
using Portal.Runbooks.Engine;
using Portal.Runbooks.Model;
using Portal.Runbooks.Storage;
using Portal.Web.Auth;
using Portal.Web.Inventory;
using Portal.Web.Runs;

namespace Portal.Web.Incidents;

/// <summary>
/// Drives walkthroughs: the engine decides, the runner runs probes, the store records. Every method either
/// records its change and returns, or throws <see cref="IncidentException"/> and records nothing.
/// The wizard page and the API both go through here. One person drives a walkthrough at a time (see
/// <see cref="IncidentRecord.Driver"/>): every method that moves it on refuses anyone else with
/// <see cref="IncidentErrorKind.NotDriver"/>; notes are open to all. Callers check roles (responder to drive).
/// </summary>
public sealed class WalkthroughService(
    IncidentStore store,
    Resilience.SnapshotRunbookCatalog runbooks,
    InventoryStore inventory,
    ProbeRunner runner,
    RunStore runs,
    IncidentRunWatcher watcher,
    IncidentChanges changes,
    UserStore users,
    AuditLog audit,
    ILogger<WalkthroughService> logger)
{
    public const int MaxNoteLength = 4000;

    /// <summary>Every log line written while working on an incident carries its id, including the
    /// lines of the probe runs it starts (the run's task inherits the scope).</summary>
    private static IDisposable IncidentLogScope(Guid id) => Serilog.Context.LogContext.PushProperty("IncidentId", id);
    private const string System = "portal";

    /// <summary>
    /// Starts a walkthrough of the current version of <paramref name="slug"/> (pinned from now on) in
    /// <paramref name="environment"/>. Roles of probe steps that no target of the environment has are
    /// returned as warnings; they only stop those steps from running.
    /// </summary>
    public async Task<IncidentStarted> StartAsync(string? slug, string? environment, string user, string? title = null, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(slug))
        {
            throw IncidentException.Invalid("runbook", "runbook is required: the slug of a runbook, e.g. redis-connection.");
        }

        if (string.IsNullOrWhiteSpace(environment))
        {
            throw IncidentException.Invalid("environment", "environment is required, e.g. local.");
        }

        var version = await runbooks.GetCurrentAsync(slug, ct)
            ?? throw IncidentException.Invalid("runbook", $"There is no runbook '{Clip(slug)}'.");
        if (version.Archived)
        {
            throw IncidentException.Invalid("runbook", $"Runbook '{version.Slug}' is archived; walkthroughs start only on current runbooks.");
        }

        if (!await inventory.EnvironmentExistsAsync(environment, ct))
        {
            throw IncidentException.Invalid("environment", $"There is no environment '{Clip(environment)}'.");
        }

        var text = title is null ? null : CleanText(title, "title", 200);
        var (bindings, unbound) = await BindAsync(version.Content, environment, ct);
        var warnings = unbound
            .Select(role => $"No target in environment '{environment}' has role '{role}'; the steps that probe it cannot run until one does.")
            .ToList();
        var start = WalkthroughEngine.Start(version.Content);
        var incident = new IncidentRecord(
            Guid.CreateVersion7(), version.Slug, version.Version, environment,
            text ?? $"{version.Content.Title.In(Languages.English)} ({environment})",
            IncidentStatus.Open, user, DateTimeOffset.UtcNow, null, start.Position.Reference, new Dictionary<string, string>(), 0, user);
        await store.CreateAsync(incident, user,
        [
            new(IncidentEventTypes.Started, new
            {
                runbook = version.Slug, version = version.Version, environment, title = incident.Title, bindings, unboundRoles = unbound, warnings,
            }),
            EnteredEvent(version.Content, start.Position, null),
        ], ct);
        logger.LogInformation("Incident {IncidentId} started on {Runbook} v{Version} in {Environment} by {User}",
            incident.Id, version.Slug, version.Version, environment, user);
        return new IncidentStarted(incident.Id, UrlOf(incident.Id), warnings);
    }

    public static string UrlOf(Guid id) => $"/incidents/{id}";

    /// <summary>
    /// Starts a walkthrough with findings already in place (from a triage sweep): opens it at
    /// <paramref name="stepId"/> (null: the first step) and records those of <paramref name="runIds"/> that ran
    /// that step's probe on the target bound to its role as the step's results, so the engine's recommendation
    /// is there at once. <paramref name="note"/> says where the findings came from.
    /// </summary>
    public async Task<IncidentStarted> StartFromFindingsAsync(
        string slug, string environment, string user, string? stepId, IReadOnlyList<Guid> runIds, string note, CancellationToken ct = default)
    {
        var started = await StartAsync(slug, environment, user, null, ct);
        var incident = await store.GetAsync(started.IncidentId, ct) ?? throw IncidentException.NotFound(started.IncidentId);
        var content = await PinnedAsync(incident, ct);
        var step = stepId is null ? null : WalkthroughEngine.FindStep(content, stepId);
        var events = new List<NewIncidentEvent> { new(IncidentEventTypes.Note, new { text = CleanText(note, "note", MaxNoteLength) }) };
        string? position = null;
        if (step is not null && WalkTarget.Parse(incident.Position) != WalkTarget.ToStep(step.Id))
        {
            position = step.Id;
            events.Add(EnteredEvent(content, WalkTarget.ToStep(step.Id), WalkTarget.Parse(incident.Position)));
        }

        var recorded = new List<Guid>();
        if (step is { Kind: StepKind.Probe, Probe: { } call })
        {
            var (bindings, _) = await BindAsync(content, environment, ct);
            foreach (var runId in runIds)
            {
                if (await runs.GetAsync(runId, ct) is { } run && run.Status != RunStatus.Running && run.Kind == call.Kind
                    && run.Environment == environment && bindings.GetValueOrDefault(call.Target) == run.Target)
                {
                    recorded.Add(run.Id);
                    events.Add(new(IncidentEventTypes.ProbeStarted, new ProbeStartedPayload(run.Id, step.Id, call.Kind, call.Target, run.Target)));
                }
            }
        }

        await ChangeAsync(started.IncidentId, user, _ => new IncidentChange(events, Position: position), ct);
        foreach (var runId in recorded)
        {
            await CompleteRunAsync(started.IncidentId, runId, step!.Id, ct);
        }

        return started;
    }

    /// <summary>Newest first, optionally only one status.</summary>
    public async Task<IReadOnlyList<IncidentRecord>> ListAsync(string? status, int limit = 100, CancellationToken ct = default)
    {
        if (status is not null && !IncidentStatus.All.Contains(status))
        {
            throw IncidentException.Invalid("status", $"status must be one of: {string.Join(", ", IncidentStatus.All)}.");
        }

        return await store.ListAsync(status, Math.Clamp(limit, 1, 500), ct);
    }

    /// <summary>
    /// The incident as it stands. A probe run that ended while nobody watched it (the portal restarted, the
    /// watcher was stopped) has its end and the recommendation recorded first.
    /// </summary>
    public async Task<IncidentView> GetAsync(Guid id, CancellationToken ct = default)
    {
        var incident = await store.GetAsync(id, ct) ?? throw IncidentException.NotFound(id);
        var content = await PinnedAsync(incident, ct);
        var timeline = await store.ReadEventsAsync(id, ct);
        var recorded = false;
        foreach (var (runId, stepId) in Unfinished(timeline))
        {
            recorded |= await CompleteRunAsync(id, runId, stepId, ct);
        }

        if (recorded)
        {
            incident = await store.GetAsync(id, ct) ?? incident;
            timeline = await store.ReadEventsAsync(id, ct);
        }

        var position = WalkTarget.Parse(incident.Position);
        var step = position.Kind == WalkTargetKind.Step ? WalkthroughEngine.FindStep(content, position.Id) : null;
        var solution = position.Kind == WalkTargetKind.Solution ? content.Solutions.Find(s => s.Id == position.Id) : null;
        var (bindings, unbound) = await BindAsync(content, incident.Environment, ct);
        return new IncidentView(
            incident, content, position, step, solution,
            step is null ? null : CurrentRecommendation(content, incident, step, timeline),
            Unfinished(timeline).Select(u => (Guid?)u.RunId).LastOrDefault(),
            bindings, unbound, Checklists(content, timeline), timeline, PendingRequests(timeline, incident.Driver));
    }

    /// <summary>
    /// Runs the probe of step <paramref name="stepId"/> (the step the walkthrough is at) against the target the
    /// environment binds to the step's role. Returns the run id at once; the run's end, verdict, findings and
    /// the engine's recommendation are recorded when it finishes.
    /// </summary>
    public async Task<Guid> RunStepAsync(Guid id, string stepId, string user, CancellationToken ct = default)
    {
        using var incidentScope = IncidentLogScope(id);
        var incident = await OpenAsync(id, ct);
        EnsureDriver(incident, user);
        var content = await PinnedAsync(incident, ct);
        var step = StepAt(content, incident, stepId);
        if (step is not { Kind: StepKind.Probe, Probe: { } call })
        {
            throw IncidentException.Invalid("stepId", $"Step '{step.Id}' is a {Name(step.Kind)} step; only probe steps run.");
        }

        var active = Unfinished(await store.ReadEventsAsync(id, ct)).ToList();
        foreach (var (runId, runStep) in active)
        {
            if (!await CompleteRunAsync(id, runId, runStep, ct))
            {
                throw new IncidentException(IncidentErrorKind.Conflict, "stepId",
                    $"Run {runId} of step '{runStep}' is still running; wait for it or stop it (DELETE /api/runs/{runId}).");
            }
        }

        var target = (await inventory.ListTargetsAsync(incident.Environment, ct))
            .Where(t => t.Role == call.Target).OrderBy(t => t.Name, StringComparer.Ordinal).FirstOrDefault()
            ?? throw IncidentException.Invalid("stepId",
                $"No target in environment '{incident.Environment}' has role '{call.Target}'; add one (PUT /api/environments/{incident.Environment}/targets/{{name}} with role '{call.Target}').");

        var parameters = WalkthroughEngine.ResolveParameters(content, call, incident.Inputs);
        if (!parameters.CanRun)
        {
            var missing = parameters.Missing.Select(m => m.ProvidedByStepId is { } by
                ? $"'{m.Name}' (give it at input step '{by}')"
                : $"'{m.Name}' (no input step of this runbook asks for it)");
            throw IncidentException.Invalid("stepId", $"Step '{step.Id}' needs {string.Join(" and ", missing)} before it can run.");
        }

        var result = await runner.StartAsync(
            new RunRequest(call.Kind, incident.Environment, target.Name, parameters.Values.ToDictionary(p => p.Key, p => (string?)p.Value)),
            user, $"incident {incident.Id}", ct);
        if (result.RunId is not { } newRun)
        {
            throw IncidentException.Invalid("stepId",
                $"The probe of step '{step.Id}' was not started: {string.Join(" ", result.Errors.Select(e => $"{e.Key}: {e.Value}"))}");
        }

        await ChangeAsync(id, user, current => new IncidentChange(
            [new(IncidentEventTypes.ProbeStarted, new ProbeStartedPayload(newRun, step.Id, call.Kind, call.Target, target.Name))]), ct);
        watcher.Watch(newRun, token => CompleteRunAsync(id, newRun, step.Id, token));
        return newRun;
    }

    /// <summary>
    /// Records the end of a run of this incident (status, verdict, findings) and what the engine recommends
    /// after it. False while the run is still running; true once its end is recorded (by this call or earlier).
    /// </summary>
    public async Task<bool> CompleteRunAsync(Guid id, Guid runId, string stepId, CancellationToken ct = default)
    {
        using var incidentScope = IncidentLogScope(id);
        var run = await runs.GetAsync(runId, ct);
        if (run is null || run.Status == RunStatus.Running)
        {
            return false;
        }

        var incident = await store.GetAsync(id, ct) ?? throw IncidentException.NotFound(id);
        var content = await PinnedAsync(incident, ct);
        var verdict = VerdictOf(run.Status);
        var events = new List<NewIncidentEvent>
        {
            new(IncidentEventTypes.ProbeFinished, new ProbeFinishedPayload(
                runId, stepId, run.Kind, run.Target, run.Status, verdict, run.Summary, run.Findings)),
        };
        if (verdict is not null && WalkthroughEngine.FindStep(content, stepId) is { Kind: StepKind.Probe })
        {
            var recommendation = WalkthroughEngine.Recommend(content, stepId, StepOutcome.Probe(verdict, run.Findings));
            events.Add(RecommendationEvent(recommendation, runId));
        }

        await ChangeAsync(id, System, _ => new IncidentChange(events), ct, unlessRunFinished: runId);
        return true;
    }

    /// <summary>Gives the value of input step <paramref name="stepId"/> (the step the walkthrough is at).</summary>
    public async Task<IncidentView> SubmitInputAsync(Guid id, string stepId, string? value, string user, CancellationToken ct = default)
    {
        using var incidentScope = IncidentLogScope(id);
        var incident = await OpenAsync(id, ct);
        var content = await PinnedAsync(incident, ct);
        var step = StepAt(content, incident, stepId);
        if (step is not { Kind: StepKind.Input, Input: { } input })
        {
            throw IncidentException.Invalid("stepId", $"Step '{step.Id}' is a {Name(step.Kind)} step, not an input step.");
        }

        await ChangeAsync(id, user, current =>
        {
            EnsureDriver(current, user);
            var state = new WalkthroughState(WalkTarget.Parse(current.Position), current.Inputs);
            var submission = WalkthroughEngine.SubmitInput(content, state, value);
            if (!submission.Check.IsValid)
            {
                throw IncidentException.Invalid("value", $"{input.Name}: {submission.Check.Message}.");
            }

            var recommendation = WalkthroughEngine.Recommend(content, submission.State, StepOutcome.Done);
            return new IncidentChange(
                [
                    new(IncidentEventTypes.Input, new { stepId = step.Id, name = input.Name, value = submission.Check.Value }),
                    RecommendationEvent(recommendation, null),
                ],
                Inputs: submission.State.Inputs);
        }, ct);
        return await GetAsync(id, ct);
    }

    /// <summary>
    /// Goes to <paramref name="target"/> (a step id or "solution:{id}") from where the walkthrough is. On a
    /// decision step, a target one of its options points at is that option. A choice that differs from the
    /// engine's recommendation is also recorded as an override.
    /// </summary>
    public async Task<IncidentView> ChooseAsync(Guid id, string? target, string user, CancellationToken ct = default)
    {
        using var incidentScope = IncidentLogScope(id);
        if (string.IsNullOrWhiteSpace(target))
        {
            throw IncidentException.Invalid("target", "target is required: a step id or \"solution:{id}\".");
        }

        var incident = await OpenAsync(id, ct);
        var content = await PinnedAsync(incident, ct);
        var timeline = await store.ReadEventsAsync(id, ct);
        await ChangeAsync(id, user, current =>
        {
            EnsureDriver(current, user);
            if (current.Position != incident.Position)
            {
                throw new IncidentException(IncidentErrorKind.Conflict, "target", "The incident changed meanwhile; read it again and choose again.");
            }

            var position = WalkTarget.Parse(current.Position);
            var step = position.Kind == WalkTargetKind.Step ? WalkthroughEngine.FindStep(content, position.Id) : null;
            Recommendation? recommendation = null;
            int? option = null;
            if (step is { Kind: StepKind.Decision })
            {
                option = step.Options.FindIndex(o => WalkTarget.Parse(o.Goto) == WalkTarget.Parse(target));
                recommendation = option >= 0 ? WalkthroughEngine.Recommend(content, step.Id, StepOutcome.Decision(option.Value)) : null;
            }
            else if (step is not null)
            {
                recommendation = CurrentRecommendation(content, current, step, timeline);
            }

            Choice choice;
            try
            {
                choice = WalkthroughEngine.Choose(content, recommendation ?? NoRecommendation(position), target);
            }
            catch (ArgumentException)
            {
                throw IncidentException.Invalid("target", $"'{Clip(target)}' is not a step or solution of {current.RunbookSlug} v{current.RunbookVersion}.");
            }

            var events = new List<NewIncidentEvent>
            {
                new(IncidentEventTypes.Decision, new
                {
                    from = position.Reference,
                    target = choice.Chosen.Reference,
                    recommended = recommendation is null || choice.Recommended.Kind == WalkTargetKind.End ? null : choice.Recommended.Reference,
                    option = option >= 0 ? option : null,
                    label = option >= 0 ? step!.Options[option.Value].Label : null,
                    isOverride = choice.IsOverride,
                }),
            };
            if (choice.IsOverride)
            {
                events.Add(new(IncidentEventTypes.Override, new
                {
                    from = position.Reference,
                    chosen = choice.Chosen.Reference,
                    recommended = choice.Recommended.Reference,
                    reason = recommendation!.Reason,
                    rule = recommendation.Rule?.When,
                }));
            }

            events.Add(EnteredEvent(content, choice.Chosen, position));
            return new IncidentChange(events, Position: choice.Chosen.Reference);
        }, ct);
        return await GetAsync(id, ct);
    }

    /// <summary>Ticks (or unticks) checklist item <paramref name="index"/> (0-based) of a step.</summary>
    public async Task TickChecklistAsync(Guid id, string stepId, int index, bool done, string user, CancellationToken ct = default)
    {
        using var incidentScope = IncidentLogScope(id);
        var incident = await OpenAsync(id, ct);
        var content = await PinnedAsync(incident, ct);
        var step = WalkthroughEngine.FindStep(content, stepId)
            ?? throw IncidentException.Invalid("stepId", $"{incident.RunbookSlug} v{incident.RunbookVersion} has no step '{Clip(stepId)}'.");
        if (index < 0 || index >= step.Checklist.Count)
        {
            throw IncidentException.Invalid("index", $"Step '{step.Id}' has {step.Checklist.Count} checklist items; index must be 0 to {step.Checklist.Count - 1}.");
        }

        await ChangeAsync(id, user, current =>
        {
            EnsureDriver(current, user);
            return new IncidentChange(
                [new(IncidentEventTypes.Checklist, new { stepId = step.Id, index, item = step.Checklist[index], done })]);
        }, ct);
    }

    /// <summary>Adds a note (at most 4000 characters, no control characters but newlines). Closed incidents take notes too.</summary>
    public async Task<long> AddNoteAsync(Guid id, string? text, string user, CancellationToken ct = default)
    {
        using var incidentScope = IncidentLogScope(id);
        var note = CleanText(text, "text", MaxNoteLength)
            ?? throw IncidentException.Invalid("text", "text is required: the note, at most 4000 characters.");
        var result = await ChangeAsync(id, user, _ => new IncidentChange([new(IncidentEventTypes.Note, new { text = note })]), ct);
        return result.Seqs[^1];
    }

    /// <summary>Marks the incident resolved (at whatever solution it is), with an optional summary.</summary>
    public Task<IncidentView> ResolveAsync(Guid id, string user, string? summary = null, CancellationToken ct = default) =>
        CloseAsync(id, user, IncidentStatus.Resolved, IncidentEventTypes.Resolved, summary, ct);

    /// <summary>Marks the incident abandoned, with an optional reason.</summary>
    public Task<IncidentView> AbandonAsync(Guid id, string user, string? reason = null, CancellationToken ct = default) =>
        CloseAsync(id, user, IncidentStatus.Abandoned, IncidentEventTypes.Abandoned, reason, ct);

    /// <summary>
    /// <paramref name="user"/> drives from now on, without waiting for the driver (who may be gone). Recorded as
    /// driver_changed (how: took) and audited. Taking what you already drive changes nothing.
    /// </summary>
    public async Task<IncidentView> TakeControlAsync(Guid id, string user, string source = "", CancellationToken ct = default)
    {
        string? previous = null;
        await OpenAsync(id, ct);
        await ChangeAsync(id, user, current =>
        {
            EnsureOpen(current);
            if (current.IsDrivenBy(user))
            {
                return null;
            }

            previous = current.Driver;
            return new IncidentChange([new(IncidentEventTypes.DriverChanged, new { driver = user, from = current.Driver, how = "took" })]);
        }, ct);
        if (previous is not null)
        {
            await audit.WriteAsync(user, source, "incident.driver.take", id.ToString(), "success", new { from = previous }, ct);
            logger.LogInformation("{User} took control of incident {IncidentId} from {Driver}", user, id, previous);
        }

        return await GetAsync(id, ct);
    }

    /// <summary>
    /// Asks the driver to hand over to <paramref name="user"/>: recorded as driver_requested; the driver sees it and
    /// may hand over. Refused for the driver and for someone whose request is still open.
    /// </summary>
    public async Task<IncidentView> RequestControlAsync(Guid id, string user, CancellationToken ct = default)
    {
        await OpenAsync(id, ct);
        var timeline = await store.ReadEventsAsync(id, ct);
        await ChangeAsync(id, user, current =>
        {
            EnsureOpen(current);
            if (current.IsDrivenBy(user))
            {
                throw IncidentException.Invalid("driver", $"You already drive incident {id}.");
            }

            return PendingRequests(timeline, current.Driver).Contains(user, StringComparer.Ordinal)
                ? null // asked already and not answered: one request is enough
                : new IncidentChange([new(IncidentEventTypes.DriverRequested, new { by = user, driver = current.Driver })]);
        }, ct);
        return await GetAsync(id, ct);
    }

    /// <summary>
    /// The driver (<paramref name="user"/>) hands the walkthrough to <paramref name="to"/>, who must be an enabled
    /// user allowed to drive (responder or above). Recorded as driver_changed (how: handed) and audited.
    /// </summary>
    public async Task<IncidentView> HandOverAsync(Guid id, string? to, string user, string source = "", CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(to))
        {
            throw IncidentException.Invalid("to", "to is required: the username of who drives next.");
        }

        var next = await users.FindAsync(to, ct);
        if (next is null || next.Disabled)
        {
            throw IncidentException.Invalid("to", $"There is no enabled user '{Clip(to)}'.");
        }

        if (PortalRoles.Rank(next.Role) < PortalRoles.Rank(PortalRoles.Responder))
        {
            throw IncidentException.Invalid("to", $"{next.Username} is a {next.Role}; only responders, editors and admins can drive a walkthrough.");
        }

        await OpenAsync(id, ct);
        await ChangeAsync(id, user, current =>
        {
            EnsureOpen(current);
            EnsureDriver(current, user);
            return current.IsDrivenBy(next.Username)
                ? null
                : new IncidentChange([new(IncidentEventTypes.DriverChanged, new { driver = next.Username, from = user, how = "handed" })]);
        }, ct);
        await audit.WriteAsync(user, source, "incident.driver.handover", id.ToString(), "success", new { to = next.Username }, ct);
        return await GetAsync(id, ct);
    }

    /// <summary>Who asked to drive since the driver last changed and is not the driver, in the order they asked.</summary>
    internal static IReadOnlyList<string> PendingRequests(IReadOnlyList<IncidentEvent> timeline, string driver)
    {
        var since = timeline.LastOrDefault(e => e.Type == IncidentEventTypes.DriverChanged)?.Seq ?? 0;
        return [.. timeline
            .Where(e => e.Seq > since && e.Type == IncidentEventTypes.DriverRequested)
            .Select(e => e.Actor)
            .Where(by => !string.Equals(by, driver, StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The incident report in Markdown; secrets of the environment's targets are masked.</summary>
    public async Task<string> GetReportAsync(Guid id, string language = Languages.English, CancellationToken ct = default)
    {
        var view = await GetAsync(id, ct);
        var secrets = new List<string>();
        foreach (var target in view.Bindings.Values.Distinct())
        {
            if (await inventory.ResolveAsync(view.Incident.Environment, target, ct) is { } resolved)
            {
                secrets.AddRange(resolved.SecretValues);
            }
        }

        var tails = new Dictionary<Guid, IReadOnlyList<RunEvent>>();
        foreach (var e in view.Timeline.Where(e => e.Type == IncidentEventTypes.ProbeStarted))
        {
            var runId = Guid.Parse(e.Get("runId")!);
            tails[runId] = await store.ReadOutputTailAsync(runId, IncidentReport.OutputTailLines, ct);
        }

        var redactor = new Redactor(secrets);
        return IncidentReport.Write(view, tails, Languages.Normalize(language), text => redactor.Redact(text)!);
    }

    private async Task<IncidentView> CloseAsync(Guid id, string user, string status, string type, string? text, CancellationToken ct)
    {
        using var incidentScope = IncidentLogScope(id);
        var summary = CleanText(text, "summary", MaxNoteLength);
        await OpenAsync(id, ct);
        await ChangeAsync(id, user, current =>
        {
            EnsureOpen(current);
            EnsureDriver(current, user);
            return new IncidentChange([new(type, new { position = current.Position, summary })], Status: status);
        }, ct);
        return await GetAsync(id, ct);
    }

    private async Task<(IncidentRecord Incident, IReadOnlyList<long> Seqs)> ChangeAsync(
        Guid id, string actor, Func<IncidentRecord, IncidentChange?> decide, CancellationToken ct, Guid? unlessRunFinished = null)
    {
        var result = await store.ChangeAsync(id, actor, decide, ct, unlessRunFinished) ?? throw IncidentException.NotFound(id);
        if (result.Seqs.Count > 0)
        {
            changes.Publish(id, result.Seqs[^1]);
        }

        return result;
    }

    private async Task<IncidentRecord> OpenAsync(Guid id, CancellationToken ct)
    {
        var incident = await store.GetAsync(id, ct) ?? throw IncidentException.NotFound(id);
        EnsureOpen(incident);
        return incident;
    }

    private static void EnsureDriver(IncidentRecord incident, string user)
    {
        if (!incident.IsDrivenBy(user))
        {
            throw IncidentException.NotDriver(incident.Id, incident.Driver);
        }
    }

    private static void EnsureOpen(IncidentRecord incident)
    {
        if (!incident.IsOpen)
        {
            throw IncidentException.Invalid("id", $"Incident {incident.Id} is {incident.Status}; a closed incident takes only notes.");
        }
    }

    private async Task<RunbookContent> PinnedAsync(IncidentRecord incident, CancellationToken ct) =>
        (await runbooks.GetVersionAsync(incident.RunbookSlug, incident.RunbookVersion, ct)
            ?? throw new InvalidOperationException($"Runbook {incident.RunbookSlug} v{incident.RunbookVersion} of incident {incident.Id} is missing.")).Content;

    /// <summary>The step the walkthrough is at, which must be <paramref name="stepId"/>.</summary>
    private static RunbookStep StepAt(RunbookContent content, IncidentRecord incident, string stepId)
    {
        var step = WalkthroughEngine.FindStep(content, stepId)
            ?? throw IncidentException.Invalid("stepId", $"{incident.RunbookSlug} v{incident.RunbookVersion} has no step '{Clip(stepId)}'.");
        var position = WalkTarget.Parse(incident.Position);
        if (position != WalkTarget.ToStep(step.Id))
        {
            throw IncidentException.Invalid("stepId",
                $"The walkthrough is at {(position.Kind == WalkTargetKind.End ? "the end of the runbook" : $"'{position.Reference}'")}, not at step '{step.Id}'; go there first (POST /api/incidents/{incident.Id}/decisions with target '{step.Id}').");
        }

        return step;
    }

    private async Task<(Dictionary<string, string> Bindings, List<string> Unbound)> BindAsync(RunbookContent content, string environment, CancellationToken ct)
    {
        var targets = await inventory.ListTargetsAsync(environment, ct);
        var bindings = new Dictionary<string, string>(StringComparer.Ordinal);
        var unbound = new List<string>();
        foreach (var role in content.Steps.Where(s => s.Probe is not null).Select(s => s.Probe!.Target).Distinct(StringComparer.Ordinal))
        {
            if (targets.Where(t => t.Role == role).OrderBy(t => t.Name, StringComparer.Ordinal).FirstOrDefault() is { } target)
            {
                bindings[role] = target.Name;
            }
            else
            {
                unbound.Add(role);
            }
        }

        return (bindings, unbound);
    }

    /// <summary>Runs started and not recorded as finished, with their step, oldest first.</summary>
    private static IEnumerable<(Guid RunId, string StepId)> Unfinished(IReadOnlyList<IncidentEvent> timeline)
    {
        var finished = timeline.Where(e => e.Type == IncidentEventTypes.ProbeFinished).Select(e => e.Get("runId")).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return timeline
            .Where(e => e.Type == IncidentEventTypes.ProbeStarted && !finished.Contains(e.Get("runId")))
            .Select(e => (Guid.Parse(e.Get("runId")!), e.Get("stepId")!));
    }

    /// <summary>See <see cref="IncidentView.Recommendation"/>. Only what happened since the step was last entered counts.</summary>
    private static Recommendation? CurrentRecommendation(RunbookContent content, IncidentRecord incident, RunbookStep step, IReadOnlyList<IncidentEvent> timeline)
    {
        switch (step.Kind)
        {
            case StepKind.Manual:
                return WalkthroughEngine.Recommend(content, step.Id, StepOutcome.Done);
            case StepKind.Input when step.Input is { } input:
                return incident.Inputs.ContainsKey(input.Name) || !input.Required
                    ? WalkthroughEngine.Recommend(content, step.Id, StepOutcome.Done)
                    : null;
            case StepKind.Probe:
                var entered = timeline.LastOrDefault(e => e.Type == IncidentEventTypes.StepEntered && e.Get("target") == step.Id)?.Seq ?? 0;
                var last = timeline.LastOrDefault(e => e.Seq > entered && e.Type == IncidentEventTypes.ProbeFinished && e.Get("stepId") == step.Id);
                if (last?.Payload.Deserialize<ProbeFinishedPayload>(JsonSerializerOptions.Web) is not { Verdict: { } verdict } finished)
                {
                    return null;
                }

                return WalkthroughEngine.Recommend(content, step.Id, StepOutcome.Probe(verdict, finished.Findings));
            default:
                return null;
        }
    }

    private static Dictionary<string, IReadOnlyList<bool>> Checklists(RunbookContent content, IReadOnlyList<IncidentEvent> timeline)
    {
        var result = new Dictionary<string, IReadOnlyList<bool>>(StringComparer.Ordinal);
        foreach (var step in content.Steps.Where(s => s.Checklist.Count > 0))
        {
            var ticks = new bool[step.Checklist.Count];
            foreach (var e in timeline.Where(e => e.Type == IncidentEventTypes.Checklist && e.Get("stepId") == step.Id))
            {
                var index = e.Payload.GetProperty("index").GetInt32();
                if (index >= 0 && index < ticks.Length)
                {
                    ticks[index] = e.Payload.GetProperty("done").GetBoolean();
                }
            }

            result[step.Id] = ticks;
        }

        return result;
    }

    /// <summary>The verdict the engine's rules see; null when the run gave none to judge by.</summary>
    private static string? VerdictOf(string status) => status switch
    {
        "pass" or "warn" or "fail" or "error" => status,
        RunStatus.Timeout => "error",
        _ => null,
    };

    private static NewIncidentEvent RecommendationEvent(Recommendation r, Guid? runId) =>
        new(IncidentEventTypes.Recommendation, new RecommendationPayload(
            r.FromStepId, r.Target.Reference, r.Source.ToString().ToLowerInvariant(), r.Reason, r.Rule?.When, r.Warnings, runId));

    private static NewIncidentEvent EnteredEvent(RunbookContent content, WalkTarget target, WalkTarget? from)
    {
        var title = target.Kind switch
        {
            WalkTargetKind.Step => WalkthroughEngine.FindStep(content, target.Id)?.Title,
            WalkTargetKind.Solution => content.Solutions.Find(s => s.Id == target.Id)?.Title,
            _ => null,
        };
        return new(IncidentEventTypes.StepEntered, new
        {
            target = target.Reference,
            kind = target.Kind.ToString().ToLowerInvariant(),
            title,
            from = from?.Reference,
        });
    }

    private static Recommendation NoRecommendation(WalkTarget position) =>
        new(position.Id, WalkTarget.End, RecommendationSource.End, new LocalizedText(), null, []);

    /// <summary>Trimmed text with CRLF as LF; null when blank. Refuses control characters other than newline, and overlong text.</summary>
    private static string? CleanText(string? text, string field, int max)
    {
        var clean = text?.Replace("\r\n", "\n", StringComparison.Ordinal).Trim();
        if (string.IsNullOrEmpty(clean))
        {
            return null;
        }

        if (clean.Length > max)
        {
            throw IncidentException.Invalid(field, $"{field} is {clean.Length} characters; at most {max} are allowed.");
        }

        foreach (var c in clean)
        {
            if (char.IsControl(c) && c != '\n')
            {
                throw IncidentException.Invalid(field, $"{field} contains a control character (U+{(int)c:X4}); only newlines are allowed.");
            }
        }

        return clean;
    }

    private static string Name(StepKind kind) => kind.ToString().ToLowerInvariant();

    private static string Clip(string value) => Portal.Probes.Contract.ProbeText.Clip(value);
}
