using System.Text.RegularExpressions;
using Portal.Probes;
using Portal.Probes.Contract;
using Portal.Runbooks.Engine;
using Portal.Runbooks.Model;

namespace Portal.Web.Authoring;

/// <summary>
/// Everything a save must pass, for the editor (inline) and the API (400 per field) alike: the
/// runbook engine's own checks (reachability, rule targets, empty titles and solutions…) plus what
/// only the portal knows — the probe catalog and its parameter schemas, the categories, the slugs.
/// </summary>
public sealed partial class RunbookEditValidator(ProbeCatalog probes)
{
    /// <summary>Slugs the API uses as words of its own.</summary>
    private static readonly HashSet<string> ReservedSlugs = new(StringComparer.Ordinal) { "export", "import", "new" };

    public IReadOnlyList<RunbookProblem> Validate(
        string slug, RunbookContent content, IReadOnlyCollection<string> categories, IReadOnlyCollection<string>? knownSlugs)
    {
        var problems = new List<RunbookProblem>();
        if (!SlugPattern().IsMatch(slug))
        {
            problems.Add(new("slug", "slug must be 1-63 lower-case letters, digits or '-', starting with a letter or digit"));
        }
        else if (ReservedSlugs.Contains(slug))
        {
            problems.Add(new("slug", $"'{slug}' is reserved; choose another slug"));
        }

        if (!categories.Contains(content.Category))
        {
            problems.Add(new("category", string.IsNullOrWhiteSpace(content.Category)
                ? "category is empty"
                : $"no category '{Clip(content.Category)}'; create it first"));
        }

        // A solution may link the runbook being created.
        var slugs = knownSlugs is null ? null : (IReadOnlyCollection<string>)[.. knownSlugs, slug];
        problems.AddRange(RunbookValidator.Validate(content, slugs));
        for (var i = 0; i < content.Steps.Count; i++)
        {
            if (content.Steps[i] is { Kind: StepKind.Probe, Probe: { } call } && !string.IsNullOrWhiteSpace(call.Kind))
            {
                CheckProbe(call, $"steps[{i}].probe", problems);
            }
        }

        return problems;
    }

    /// <summary>Problems grouped by path, as ValidationProblem wants them.</summary>
    public static Dictionary<string, string[]> ToErrors(IEnumerable<RunbookProblem> problems, string prefix = "") =>
        problems.GroupBy(p => prefix + p.Path).ToDictionary(g => g.Key, g => g.Select(p => p.Message).ToArray());

    private void CheckProbe(ProbeCall call, string path, List<RunbookProblem> problems)
    {
        if (probes.Find(call.Kind) is not { } probe)
        {
            problems.Add(new($"{path}.kind", $"no probe '{Clip(call.Kind)}' in the catalog"));
            return;
        }

        // "{workflow_id}" stands for an input given during the walkthrough: only its name can be checked now.
        var withPlaceholders = call.Parameters.Where(p => Placeholders.Find(p.Value).Any()).Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
        var concrete = call.Parameters.Where(p => !withPlaceholders.Contains(p.Key))
            .ToDictionary(p => p.Key, p => (string?)p.Value, StringComparer.Ordinal);
        foreach (var name in withPlaceholders.Where(n => probe.Descriptor.Parameters.All(p => p.Name != n)))
        {
            concrete[name] = "";
        }

        foreach (var (name, message) in ParameterValidator.Validate(probe.Descriptor, concrete).Errors)
        {
            if (!withPlaceholders.Contains(name) || probe.Descriptor.Parameters.All(p => p.Name != name))
            {
                problems.Add(new($"{path}.parameters.{name}", message));
            }
        }
    }

    private static string Clip(string text) => ProbeText.Clip(text, 60);

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex SlugPattern();
}
