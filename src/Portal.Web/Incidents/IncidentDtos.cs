using System.Text.Json;
using Portal.Runbooks.Engine;
using Portal.Runbooks.Model;

namespace Portal.Web.Incidents;

public sealed record StartIncidentRequest(string? Runbook, string? Environment, string? Title = null);

public sealed record InputRequest(string? Value);

public sealed record DecisionRequest(string? Target);

public sealed record ChecklistRequest(bool Done = true);

public sealed record NoteRequest(string? Text);

public sealed record HandOverRequest(string? To);

public sealed record CloseRequest(string? Summary);

public sealed record IncidentStartedDto(Guid IncidentId, string Url, IReadOnlyList<string> Warnings);

public sealed record IncidentRunDto(Guid RunId);

public sealed record NoteAddedDto(long Seq);

public sealed record IncidentSummaryDto(
    Guid Id, string Url, string Title, string Runbook, int RunbookVersion, string Environment, string Status,
    string StartedBy, DateTimeOffset StartedAt, DateTimeOffset? ClosedAt, string Position, string Driver)
{
    public static IncidentSummaryDto From(IncidentRecord i) => new(
        i.Id, WalkthroughService.UrlOf(i.Id), i.Title, i.RunbookSlug, i.RunbookVersion, i.Environment, i.Status,
        i.StartedBy, i.StartedAt, i.ClosedAt, i.Position, i.Driver);
}

/// <summary>Where the walkthrough is: kind step | solution | end, the id, and the reference ("ping", "solution:network", "").</summary>
public sealed record PositionDto(string Kind, string Id, string Reference)
{
    public static PositionDto From(WalkTarget t) => new(t.Kind.ToString().ToLowerInvariant(), t.Id, t.Reference);
}

public sealed record ProbeCallDto(string Kind, string Role, string? Target, IReadOnlyDictionary<string, string> Parameters);

public sealed record InputDto(string Name, LocalizedText Label, string? Pattern, bool Required, string? Value);

public sealed record OptionDto(LocalizedText Label, string Goto);

public sealed record ChecklistItemDto(LocalizedText Text, bool Done);

public sealed record StepDto(
    string Id, string Kind, LocalizedText Title, LocalizedText Body, string? Command, IReadOnlyList<ChecklistItemDto> Checklist,
    ProbeCallDto? Probe, InputDto? Input, IReadOnlyList<OptionDto> Options);

public sealed record SolutionDto(string Id, LocalizedText Title, LocalizedText Body, IReadOnlyList<string> Links);

public sealed record RecommendationDto(
    string FromStep, PositionDto Target, string Source, LocalizedText Reason, string? Rule, IReadOnlyList<string> Warnings);

public sealed record StepOutlineDto(string Id, string Kind, LocalizedText Title);

public sealed record IncidentEventDto(long Seq, DateTimeOffset At, string Actor, string Type, JsonElement Payload);

public sealed record IncidentDto(
    IncidentSummaryDto Incident,
    PositionDto Position,
    StepDto? CurrentStep,
    SolutionDto? CurrentSolution,
    RecommendationDto? Recommendation,
    Guid? ActiveRunId,
    IReadOnlyDictionary<string, string> Inputs,
    IReadOnlyDictionary<string, string> Bindings,
    IReadOnlyList<string> UnboundRoles,
    IReadOnlyList<StepOutlineDto> Steps,
    IReadOnlyList<StepOutlineDto> Solutions,
    IReadOnlyList<IncidentEventDto> Timeline,
    IReadOnlyList<string> DriverRequests)
{
    public static IncidentDto From(IncidentView v)
    {
        var i = v.Incident;
        return new IncidentDto(
            IncidentSummaryDto.From(i),
            PositionDto.From(v.Position),
            v.CurrentStep is { } s ? Step(s, v) : null,
            v.CurrentSolution is { } sol ? new SolutionDto(sol.Id, sol.Title, sol.Body, sol.Links) : null,
            v.Recommendation is { } r
                ? new RecommendationDto(r.FromStepId, PositionDto.From(r.Target), r.Source.ToString().ToLowerInvariant(), r.Reason, r.Rule?.When, r.Warnings)
                : null,
            v.ActiveRunId,
            i.Inputs,
            v.Bindings,
            v.UnboundRoles,
            [.. v.Content.Steps.Select(x => new StepOutlineDto(x.Id, Kind(x.Kind), x.Title))],
            [.. v.Content.Solutions.Select(x => new StepOutlineDto(x.Id, "solution", x.Title))],
            [.. v.Timeline.Select(e => new IncidentEventDto(e.Seq, e.At, e.Actor, e.Type, e.Payload))],
            v.DriverRequests);
    }

    private static StepDto Step(RunbookStep s, IncidentView v)
    {
        var ticks = v.Checklists.TryGetValue(s.Id, out var t) ? t : [];
        return new StepDto(
            s.Id, Kind(s.Kind), s.Title, s.Body, s.Command,
            [.. s.Checklist.Select((item, n) => new ChecklistItemDto(item, n < ticks.Count && ticks[n]))],
            s.Probe is { } p ? new ProbeCallDto(p.Kind, p.Target, v.Bindings.GetValueOrDefault(p.Target), p.Parameters) : null,
            s.Input is { } input ? new InputDto(input.Name, input.Label, input.Pattern, input.Required, v.Incident.Inputs.GetValueOrDefault(input.Name)) : null,
            [.. s.Options.Select(o => new OptionDto(o.Label, o.Goto))]);
    }

    private static string Kind(StepKind kind) => kind.ToString().ToLowerInvariant();
}
