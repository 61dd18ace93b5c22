using Portal.Runbooks.Model;

namespace Portal.Runbooks.Tests.Engine;

/// <summary>Small runbooks built in code for engine and validator tests.</summary>
internal static class TestRunbooks
{
    public static LocalizedText Text(string english) => LocalizedText.Of("中文" + english, english);

    public static RunbookStep Probe(string id, string kind, params BranchRule[] rules) => new()
    {
        Id = id,
        Kind = StepKind.Probe,
        Title = Text(id),
        Probe = new ProbeCall { Kind = kind, Target = "platform-api" },
        Rules = [.. rules],
    };

    public static RunbookStep Manual(string id, string? next = null) => new()
    {
        Id = id,
        Kind = StepKind.Manual,
        Title = Text(id),
        Next = next,
    };

    public static RunbookStep Input(string id, string name, string? pattern = null, bool required = true) => new()
    {
        Id = id,
        Kind = StepKind.Input,
        Title = Text(id),
        Input = new StepInput { Name = name, Label = Text(name), Pattern = pattern, Required = required },
    };

    public static RunbookStep Decision(string id, params string[] gotos) => new()
    {
        Id = id,
        Kind = StepKind.Decision,
        Title = Text(id),
        Options = [.. gotos.Select(g => new DecisionOption { Label = Text("to " + g), Goto = g })],
    };

    public static BranchRule Rule(string when, string target) => new() { When = when, Goto = target, Reason = Text($"because {when}") };

    public static RunbookSolution Solution(string id) => new() { Id = id, Title = Text(id), Body = Text("do " + id) };

    public static RunbookContent Runbook(IEnumerable<RunbookStep> steps, params string[] solutions) => new()
    {
        Category = "common",
        Title = Text("Test runbook"),
        Steps = [.. steps],
        Solutions = [.. solutions.Select(Solution)],
    };
}
