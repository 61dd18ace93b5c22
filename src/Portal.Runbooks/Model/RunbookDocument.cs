namespace Portal.Runbooks.Model;

/// <summary>A runbook as a file: its slug plus its content. The unit of seed, import and export.</summary>
public sealed class RunbookDocument
{
    public string Slug { get; set; } = string.Empty;

    /// <summary>
    /// Set on export: the version the file was taken from. An import that carries it is refused when the
    /// runbook has moved on since, so a stale file never silently overwrites a newer edit.
    /// </summary>
    public int? Version { get; set; }

    public string Category { get; set; } = string.Empty;

    public int Position { get; set; }

    public LocalizedText Title { get; set; } = new();

    public LocalizedText Summary { get; set; } = new();

    public List<LocalizedText> Symptoms { get; set; } = [];

    public List<RunbookStep> Steps { get; set; } = [];

    public List<RunbookSolution> Solutions { get; set; } = [];

    public List<TriageRule>? Triage { get; set; }

    public RunbookContent ToContent() => new()
    {
        Category = Category,
        Position = Position,
        Title = Title,
        Summary = Summary,
        Symptoms = Symptoms,
        Steps = Steps,
        Solutions = Solutions,
        Triage = Triage,
    };

    public static RunbookDocument From(string slug, RunbookContent content) => new()
    {
        Slug = slug,
        Category = content.Category,
        Position = content.Position,
        Title = content.Title,
        Summary = content.Summary,
        Symptoms = content.Symptoms,
        Steps = content.Steps,
        Solutions = content.Solutions,
        Triage = content.Triage,
    };
}
