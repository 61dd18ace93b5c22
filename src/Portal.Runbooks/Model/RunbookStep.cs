using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Runbooks.Model;

/// <summary>What kind of work a step asks of the engineer. In JSON by name ("probe"), in every serializer.</summary>
[JsonConverter(typeof(StepKindJsonConverter))]
public enum StepKind
{
    /// <summary>Instructions and a checklist the engineer works through by hand.</summary>
    Manual,

    /// <summary>A validated parameter (e.g. workflow_id) that later probe steps use.</summary>
    Input,

    /// <summary>Runs a server-side diagnostic probe against the target bound to a role.</summary>
    Probe,

    /// <summary>The engineer picks one of several branches.</summary>
    Decision,
}

public sealed class RunbookStep
{
    /// <summary>Stable id within the runbook ("port", "unit-status"); rules point at it.</summary>
    public string Id { get; set; } = string.Empty;

    public StepKind Kind { get; set; }

    public LocalizedText Title { get; set; } = new();

    /// <summary>Instructions in Markdown.</summary>
    public LocalizedText Body { get; set; } = new();

    /// <summary>The command the guide tells a person to type; shown for reference.</summary>
    public string? Command { get; set; }

    public List<LocalizedText> Checklist { get; set; } = [];

    /// <summary>Set on <see cref="StepKind.Probe"/> steps.</summary>
    public ProbeCall? Probe { get; set; }

    /// <summary>Set on <see cref="StepKind.Input"/> steps.</summary>
    public StepInput? Input { get; set; }

    /// <summary>Set on <see cref="StepKind.Decision"/> steps: the branches to choose from.</summary>
    public List<DecisionOption> Options { get; set; } = [];

    /// <summary>Conditions over findings and verdicts, checked in order; the first match wins.</summary>
    public List<BranchRule> Rules { get; set; } = [];

    /// <summary>Where to go when no rule matches: a step id or "solution:{id}"; null means the next step.</summary>
    public string? Next { get; set; }
}

/// <summary>A probe invocation: which probe, against which target role, with which parameters.</summary>
public sealed class ProbeCall
{
    /// <summary>Probe kind, e.g. "redis.memory".</summary>
    public string Kind { get; set; } = string.Empty;

    /// <summary>Target role, e.g. "platform-redis"; an environment binds it to a real target.</summary>
    public string Target { get; set; } = string.Empty;

    /// <summary>Parameter values; "{input_name}" refers to an earlier input step's value.</summary>
    public Dictionary<string, string> Parameters { get; set; } = [];
}

public sealed class StepInput
{
    /// <summary>Name later steps refer to, e.g. "workflow_id".</summary>
    public string Name { get; set; } = string.Empty;

    public LocalizedText Label { get; set; } = new();

    /// <summary>Regular expression the whole value must match.</summary>
    public string? Pattern { get; set; }

    public bool Required { get; set; } = true;
}

public sealed class DecisionOption
{
    public LocalizedText Label { get; set; } = new();

    /// <summary>A step id or "solution:{id}".</summary>
    public string Goto { get; set; } = string.Empty;
}

/// <summary>
/// "when this holds, go there": <c>When</c> is a condition over findings and the verdict, such as
/// <c>pg.error == auth_failed</c>, <c>redis.memory.used_pct &gt;= 95</c>, <c>port.owner.pid exists</c>
/// or <c>verdict == fail</c>; <c>Goto</c> is a step id or "solution:{id}".
/// </summary>
public sealed class BranchRule
{
    public string When { get; set; } = string.Empty;

    public string Goto { get; set; } = string.Empty;

    /// <summary>Why this branch: shown to the engineer with the recommendation.</summary>
    public LocalizedText Reason { get; set; } = new();
}

/// <summary>Writes <see cref="StepKind"/> as "manual", "input", "probe", "decision", as YAML and the stored JSON do.</summary>
public sealed class StepKindJsonConverter() : JsonStringEnumConverter<StepKind>(JsonNamingPolicy.CamelCase, allowIntegerValues: false);
