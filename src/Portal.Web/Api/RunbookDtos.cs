namespace Portal.Web.Api;

/// <summary>A runbook in the catalog list, in one language.</summary>
public sealed record RunbookSummaryDto(
    string Slug, string Title, string Category, string CategoryTitle, IReadOnlyList<string> Symptoms, int Version);

/// <summary>A whole runbook in one language.</summary>
public sealed record RunbookDto(
    string Slug,
    int Version,
    string Language,
    string Title,
    string Category,
    string CategoryTitle,
    string Summary,
    IReadOnlyList<string> Symptoms,
    IReadOnlyList<StepDto> Steps,
    IReadOnlyList<SolutionDto> Solutions,
    DateTimeOffset UpdatedAt,
    string UpdatedBy);

/// <param name="Kind">manual, input, probe or decision.</param>
/// <param name="Command">The command the troubleshooting guide tells a person to type, for reference.</param>
public sealed record StepDto(
    string Id,
    string Kind,
    string Title,
    string Body,
    string? Command,
    IReadOnlyList<string> Checklist,
    ProbeCallDto? Probe,
    InputDto? Input,
    IReadOnlyList<OptionDto> Options,
    IReadOnlyList<RuleDto> Rules,
    string? Next);

/// <param name="Kind">Probe kind, e.g. "redis.memory".</param>
/// <param name="Target">Target role, e.g. "platform-redis".</param>
public sealed record ProbeCallDto(string Kind, string Target, IReadOnlyDictionary<string, string> Parameters);

public sealed record InputDto(string Name, string Label, string? Pattern, bool Required);

/// <param name="Goto">A step id, or "solution:{id}".</param>
public sealed record OptionDto(string Label, string Goto);

/// <param name="When">Condition over findings and the verdict, e.g. "pg.error == auth_failed".</param>
/// <param name="Goto">A step id, or "solution:{id}".</param>
public sealed record RuleDto(string When, string Goto, string Reason);

/// <param name="Links">Slugs of related runbooks.</param>
public sealed record SolutionDto(string Id, string Title, string Body, IReadOnlyList<string> Links);
