using Portal.Runbooks.Model;

namespace Portal.Web.Api;

/// <summary>Turns a stored runbook version into the API's one-language view.</summary>
internal static class RunbookMapping
{
    public static RunbookSummaryDto ToSummary(this RunbookVersion runbook, string language, IReadOnlyDictionary<string, Category> categories) =>
        new(runbook.Slug,
            runbook.Content.Title.In(language),
            runbook.Content.Category,
            CategoryTitle(runbook.Content.Category, language, categories),
            [.. runbook.Content.Symptoms.Select(s => s.In(language))],
            runbook.Version);

    public static RunbookDto ToDto(this RunbookVersion runbook, string language, IReadOnlyDictionary<string, Category> categories)
    {
        var c = runbook.Content;
        return new RunbookDto(
            runbook.Slug,
            runbook.Version,
            language,
            c.Title.In(language),
            c.Category,
            CategoryTitle(c.Category, language, categories),
            c.Summary.In(language),
            [.. c.Symptoms.Select(s => s.In(language))],
            [.. c.Steps.Select(s => ToDto(s, language))],
            [.. c.Solutions.Select(s => new SolutionDto(s.Id, s.Title.In(language), s.Body.In(language), s.Links))],
            runbook.CreatedAt,
            runbook.Author);
    }

    private static StepDto ToDto(RunbookStep step, string language) => new(
        step.Id,
        step.Kind.ToString().ToLowerInvariant(),
        step.Title.In(language),
        step.Body.In(language),
        step.Command,
        [.. step.Checklist.Select(i => i.In(language))],
        step.Probe is { } p ? new ProbeCallDto(p.Kind, p.Target, p.Parameters) : null,
        step.Input is { } i ? new InputDto(i.Name, i.Label.In(language), i.Pattern, i.Required) : null,
        [.. step.Options.Select(o => new OptionDto(o.Label.In(language), o.Goto))],
        [.. step.Rules.Select(r => new RuleDto(r.When, r.Goto, r.Reason.In(language)))],
        step.Next);

    private static string CategoryTitle(string key, string language, IReadOnlyDictionary<string, Category> categories) =>
        categories.TryGetValue(key, out var category) ? category.Title.In(language) : key;
}
