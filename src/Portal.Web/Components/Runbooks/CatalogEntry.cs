using Portal.Runbooks.Model;

namespace Portal.Web.Components.Runbooks;

/// <summary>What a catalog card shows of a runbook: title, summary, symptoms, and how many steps and solutions.</summary>
/// <param name="Content">Title, summary, symptoms, category and position only; no steps or solutions.</param>
public sealed record CatalogEntry(string Slug, RunbookContent Content, int StepCount, int SolutionCount)
{
    public static CatalogEntry From(RunbookVersion runbook) => new(
        runbook.Slug,
        new RunbookContent
        {
            Category = runbook.Content.Category,
            Position = runbook.Content.Position,
            Title = runbook.Content.Title,
            Summary = runbook.Content.Summary,
            Symptoms = runbook.Content.Symptoms,
        },
        runbook.Content.Steps.Count,
        runbook.Content.Solutions.Count);
}
