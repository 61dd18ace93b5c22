namespace Portal.Runbooks.Model;

/// <summary>
/// Everything a runbook version says. A stored version never changes: editing produces a new
/// <see cref="RunbookContent"/> saved as the next version.
/// </summary>
public sealed class RunbookContent
{
    /// <summary>Key of the category ("common", "performance", "network", "emergency").</summary>
    public string Category { get; set; } = string.Empty;

    /// <summary>Order within the category; the guide's own order for seeded runbooks.</summary>
    public int Position { get; set; }

    public LocalizedText Title { get; set; } = new();

    /// <summary>One paragraph: when to use this runbook. Markdown.</summary>
    public LocalizedText Summary { get; set; } = new();

    public List<LocalizedText> Symptoms { get; set; } = [];

    public List<RunbookStep> Steps { get; set; } = [];

    public List<RunbookSolution> Solutions { get; set; } = [];

    /// <summary>When triage suggests this runbook; null (not empty) when it has none, so older content hashes alike.</summary>
    public List<TriageRule>? Triage { get; set; }
}
