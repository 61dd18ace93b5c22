using Portal.Probes.Contract;
using Portal.Runbooks.Engine;
using Portal.Runbooks.Model;

namespace Portal.Web.Components.Editor;

/// <summary>
/// What every part of the runbook editor shares, cascaded from the page: the content being edited,
/// the problems the last validation found (by path, e.g. "steps[2].probe.kind"), the probe catalog,
/// and the call every part makes after it changed something.
/// </summary>
public sealed class RunbookEditorState(RunbookContent content, IReadOnlyList<ProbeDescriptor> probes, IReadOnlyList<string> targetRoles, Func<Task> changed)
{
    public RunbookContent Content { get; } = content;

    public IReadOnlyList<ProbeDescriptor> Probes { get; } = probes;

    /// <summary>Roles the guide's runbooks already use; the role field offers them.</summary>
    public IReadOnlyList<string> TargetRoles { get; } = targetRoles;

    public IReadOnlyList<RunbookProblem> Problems { get; set; } = [];

    /// <summary>The messages for exactly this path, joined; null when there are none.</summary>
    public string? Error(string path)
    {
        var messages = Problems.Where(p => p.Path == path).Select(p => p.Message).ToList();
        return messages.Count == 0 ? null : string.Join("; ", messages);
    }

    /// <summary>Problems at this path or below it ("steps[2]" covers "steps[2].title").</summary>
    public IEnumerable<RunbookProblem> Under(string path) =>
        Problems.Where(p => p.Path == path || p.Path.StartsWith(path + ".", StringComparison.Ordinal) || p.Path.StartsWith(path + "[", StringComparison.Ordinal));

    public Task ChangedAsync() => changed();

    /// <summary>Where a rule, option or next can point: every step and every solution, as "id" or "solution:id".</summary>
    public IEnumerable<(string Value, string Label)> Targets(string language) =>
        Content.Steps.Select((s, i) => (s.Id, $"{i + 1}. {s.Title.In(language)} ({s.Id})"))
            .Concat(Content.Solutions.Select(s => (WalkTarget.SolutionPrefix + s.Id, $"✓ {s.Title.In(language)} ({s.Id})")));
}
