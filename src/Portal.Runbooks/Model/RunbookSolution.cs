namespace Portal.Runbooks.Model;

public sealed class RunbookSolution
{
    /// <summary>Stable id within the runbook; rules point at it as "solution:{id}".</summary>
    public string Id { get; set; } = string.Empty;

    public LocalizedText Title { get; set; } = new();

    /// <summary>Remediation in Markdown.</summary>
    public LocalizedText Body { get; set; } = new();

    /// <summary>Slugs of related runbooks ("确保PostgreSQL和Redis正常运行" links both).</summary>
    public List<string> Links { get; set; } = [];
}
