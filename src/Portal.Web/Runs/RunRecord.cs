namespace Portal.Web.Runs;

/// <summary>A run as stored: who ran what against which target, and how it ended.</summary>
public sealed record RunRecord(
    Guid Id,
    string Kind,
    string Environment,
    string Target,
    IReadOnlyDictionary<string, string> Parameters,
    string RequestedBy,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    string Status,
    string Summary,
    IReadOnlyDictionary<string, string> Findings,
    int OutputLines,
    int DroppedLines);
