using Portal.Runbooks.Engine;
using Portal.Runbooks.Model;

namespace Portal.Web.Incidents;

/// <summary>Everything the wizard and the API show about one incident, read in one go.</summary>
/// <param name="Content">The pinned runbook version's content (not the runbook's current version).</param>
/// <param name="Recommendation">
/// What the engine proposes after the current step: after a probe step, from its last finished run; after a
/// manual step, its Next; after an input step once the value is given. Null when there is nothing to propose yet
/// (a probe not run, an input not given, a decision step, a solution, the end).
/// </param>
/// <param name="ActiveRunId">A probe run of this incident still running, streamable on /hubs/runs.</param>
/// <param name="Bindings">Role → target name in the incident's environment, as the inventory stands now.</param>
/// <param name="UnboundRoles">Roles of probe steps that no target of the environment has.</param>
/// <param name="Checklists">Per step id, whether each checklist item is ticked.</param>
/// <param name="DriverRequests">Who asked the driver to hand over and has not been answered, in the order they asked.</param>
public sealed record IncidentView(
    IncidentRecord Incident,
    RunbookContent Content,
    WalkTarget Position,
    RunbookStep? CurrentStep,
    RunbookSolution? CurrentSolution,
    Recommendation? Recommendation,
    Guid? ActiveRunId,
    IReadOnlyDictionary<string, string> Bindings,
    IReadOnlyList<string> UnboundRoles,
    IReadOnlyDictionary<string, IReadOnlyList<bool>> Checklists,
    IReadOnlyList<IncidentEvent> Timeline,
    IReadOnlyList<string> DriverRequests);

/// <summary>A new incident and what may stop its probes from running (unbound roles).</summary>
public sealed record IncidentStarted(Guid IncidentId, string Url, IReadOnlyList<string> Warnings);

/// <summary>The probe_finished payload.</summary>
/// <param name="Status">The run's status: pass | warn | fail | error | cancelled | timeout | interrupted.</param>
/// <param name="Verdict">What the engine's rules saw as the verdict; null when the run gave none (cancelled, interrupted).</param>
public sealed record ProbeFinishedPayload(
    Guid RunId, string StepId, string Kind, string Target, string Status, string? Verdict, string Summary,
    IReadOnlyDictionary<string, string> Findings);

/// <summary>The probe_started payload.</summary>
public sealed record ProbeStartedPayload(Guid RunId, string StepId, string Kind, string Role, string Target);

/// <summary>The recommendation payload: what the engine proposed after a step, and why.</summary>
public sealed record RecommendationPayload(
    string FromStep, string Target, string Source, LocalizedText Reason, string? Rule, IReadOnlyList<string> Warnings, Guid? RunId);
