using System.Text.Json;

namespace Portal.Web.Incidents;

/// <summary>Incident states as stored.</summary>
public static class IncidentStatus
{
    public const string Open = "open";
    public const string Resolved = "resolved";
    public const string Abandoned = "abandoned";

    public static IReadOnlyList<string> All { get; } = [Open, Resolved, Abandoned];
}

/// <summary>Timeline event types as stored.</summary>
public static class IncidentEventTypes
{
    public const string Started = "started";
    public const string StepEntered = "step_entered";
    public const string Input = "input";
    public const string ProbeStarted = "probe_started";
    public const string ProbeFinished = "probe_finished";
    public const string Decision = "decision";
    public const string Recommendation = "recommendation";
    public const string Override = "override";
    public const string Checklist = "checklist";
    public const string Note = "note";
    public const string Resolved = "resolved";
    public const string Abandoned = "abandoned";
    public const string DriverChanged = "driver_changed";
    public const string DriverRequested = "driver_requested";
}

/// <summary>An incident (one walkthrough) as stored.</summary>
/// <param name="Position">A step id, "solution:{id}", or empty for the end of the runbook (see <c>WalkTarget</c>).</param>
/// <param name="LastSeq">The seq of the newest timeline event.</param>
/// <param name="Driver">
/// Who drives the walkthrough (runs steps, decides, advances, closes): whoever started it until a driver_changed
/// event names someone else. Everyone else watches and adds notes.
/// </param>
public sealed record IncidentRecord(
    Guid Id,
    string RunbookSlug,
    int RunbookVersion,
    string Environment,
    string Title,
    string Status,
    string StartedBy,
    DateTimeOffset StartedAt,
    DateTimeOffset? ClosedAt,
    string Position,
    IReadOnlyDictionary<string, string> Inputs,
    long LastSeq,
    string Driver)
{
    public bool IsOpen => Status == IncidentStatus.Open;

    public bool IsDrivenBy(string user) => string.Equals(Driver, user, StringComparison.Ordinal);
}

/// <summary>One timeline event as stored. <see cref="Payload"/> is a JSON object whose shape depends on <see cref="Type"/>.</summary>
public sealed record IncidentEvent(long Seq, DateTimeOffset At, string Actor, string Type, JsonElement Payload)
{
    /// <summary>A string property of the payload, or null.</summary>
    public string? Get(string name) =>
        Payload.ValueKind == JsonValueKind.Object && Payload.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}

/// <summary>An event about to be appended; <see cref="Payload"/> is serialized with web (camelCase) settings.</summary>
public sealed record NewIncidentEvent(string Type, object Payload);

/// <summary>
/// What one change does to an incident, decided while its row is locked: events to append and,
/// when not null, the new position, inputs or status (a status other than open closes it).
/// </summary>
public sealed record IncidentChange(
    IReadOnlyList<NewIncidentEvent> Events,
    string? Position = null,
    IReadOnlyDictionary<string, string>? Inputs = null,
    string? Status = null);
