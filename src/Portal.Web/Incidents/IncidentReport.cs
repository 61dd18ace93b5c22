using System.Globalization;
using System.Text;
using System.Text.Json;
using Portal.Runbooks.Model;
using Portal.Web.Runs;

namespace Portal.Web.Incidents;

/// <summary>
/// An incident as a Markdown document: summary, findings, decisions and overrides, timeline, output excerpts.
/// Everything people or probes wrote (titles, notes, inputs, summaries, findings, output) goes through
/// <c>mask</c>; the pinned runbook's own text does not (it is no secret, and "password and database" in a
/// solution is advice, not a credential).
/// </summary>
public static class IncidentReport
{
    /// <summary>How many of the last output lines of each run the report quotes.</summary>
    public const int OutputTailLines = 20;

    public static string Write(
        IncidentView view, IReadOnlyDictionary<Guid, IReadOnlyList<RunEvent>> outputTails, string language, Func<string, string>? mask = null)
    {
        var m = mask ?? (text => text);
        var i = view.Incident;
        var content = view.Content;
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# Incident: {Inline(m(i.Title))}").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- **Incident:** {i.Id}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- **Runbook:** {Inline(content.Title.In(language))} (`{i.RunbookSlug}`, version {i.RunbookVersion})");
        md.AppendLine(CultureInfo.InvariantCulture, $"- **Environment:** {Inline(m(i.Environment))}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- **Status:** {i.Status}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- **Started:** {Time(i.StartedAt)} by {Inline(i.StartedBy)}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- **Driver:** {Inline(i.Driver)}");
        if (i.ClosedAt is { } closed)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- **Closed:** {Time(closed)}");
        }

        md.AppendLine(CultureInfo.InvariantCulture, $"- **Position:** {Inline(Describe(content, i.Position, language))}");
        if (view.CurrentSolution is { } solution)
        {
            md.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"## Solution: {Inline(solution.Title.In(language))}").AppendLine();
            md.AppendLine(solution.Body.In(language));
        }

        var finished = view.Timeline.Where(e => e.Type == IncidentEventTypes.ProbeFinished)
            .Select(e => (Event: e, Run: e.Payload.Deserialize<ProbeFinishedPayload>(JsonSerializerOptions.Web)!)).ToList();
        md.AppendLine().AppendLine("## Findings").AppendLine();
        if (finished.Count == 0)
        {
            md.AppendLine("No probe has finished.");
        }

        foreach (var (_, run) in finished)
        {
            md.AppendLine(CultureInfo.InvariantCulture,
                $"### {Inline(StepTitle(content, run.StepId, language))}: {run.Kind} on {Inline(m(run.Target))} — {run.Status.ToUpperInvariant()}").AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"{Inline(m(run.Summary))} (run {run.RunId})").AppendLine();
            if (run.Findings.Count > 0)
            {
                md.AppendLine("| Finding | Value |").AppendLine("|---|---|");
                foreach (var (key, value) in run.Findings.OrderBy(f => f.Key, StringComparer.Ordinal))
                {
                    md.AppendLine(CultureInfo.InvariantCulture, $"| `{key}` | {Cell(m(value))} |");
                }

                md.AppendLine();
            }
        }

        md.AppendLine("## Decisions and overrides").AppendLine();
        var decisions = view.Timeline.Where(e => e.Type is IncidentEventTypes.Decision or IncidentEventTypes.Override).ToList();
        if (decisions.Count == 0)
        {
            md.AppendLine("No decisions yet.");
        }

        foreach (var e in decisions)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- {Time(e.At)} {Inline(e.Actor)}: {Inline(m(Summarize(content, e, language)))}");
        }

        md.AppendLine().AppendLine("## Timeline").AppendLine();
        md.AppendLine("| # | Time (UTC) | Who | What | Details |").AppendLine("|---|---|---|---|---|");
        foreach (var e in view.Timeline)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {e.Seq} | {Time(e.At)} | {Cell(e.Actor)} | {e.Type} | {Cell(m(Summarize(content, e, language)))} |");
        }

        md.AppendLine().AppendLine("## Output excerpts").AppendLine();
        if (outputTails.Count == 0)
        {
            md.AppendLine("No probe ran.");
        }

        foreach (var e in view.Timeline.Where(e => e.Type == IncidentEventTypes.ProbeStarted))
        {
            var runId = Guid.Parse(e.Get("runId")!);
            var lines = outputTails.TryGetValue(runId, out var tail) ? tail : [];
            md.AppendLine(CultureInfo.InvariantCulture,
                $"### {Inline(StepTitle(content, e.Get("stepId") ?? "", language))} (run {runId}, last {lines.Count} lines)").AppendLine();
            var text = m(string.Join('\n', lines.Select(l => l.Text ?? "")));
            var fence = Fence(text);
            md.AppendLine(fence + "text").AppendLine(text).AppendLine(fence).AppendLine();
        }

        return md.ToString();
    }

    /// <summary>One line about a timeline event.</summary>
    public static string Summarize(RunbookContent content, IncidentEvent e, string language)
    {
        string S(string name) => e.Get(name) ?? "";
        return e.Type switch
        {
            IncidentEventTypes.Started => $"started {S("runbook")} v{e.Payload.GetProperty("version").GetInt32()} in {S("environment")}"
                + (e.Payload.TryGetProperty("unboundRoles", out var unbound) && unbound.GetArrayLength() > 0
                    ? $"; roles without a target: {string.Join(", ", unbound.EnumerateArray().Select(r => r.GetString()))}" : ""),
            IncidentEventTypes.StepEntered => $"at {Describe(content, S("target"), language)}",
            IncidentEventTypes.Input => $"{S("name")} = {S("value")}",
            IncidentEventTypes.ProbeStarted => $"ran {S("kind")} on {S("target")} (role {S("role")}), run {S("runId")}",
            IncidentEventTypes.ProbeFinished => $"{S("kind")} on {S("target")}: {S("status")} — {S("summary")}",
            IncidentEventTypes.Recommendation => $"recommends {Describe(content, S("target"), language)} after '{S("fromStep")}'"
                + (e.Get("rule") is { } rule ? $" (rule: {rule})" : "") + Reason(e, "reason", language),
            IncidentEventTypes.Decision => $"chose {Describe(content, S("target"), language)} at '{S("from")}'"
                + (e.Get("recommended") is { } rec ? $" (recommended: {rec})" : ""),
            IncidentEventTypes.Override => $"OVERRIDE: chose {S("chosen")} instead of the recommended {S("recommended")}"
                + (e.Get("rule") is { } r ? $" (rule: {r})" : "") + Reason(e, "reason", language),
            IncidentEventTypes.Checklist => $"{(e.Payload.GetProperty("done").GetBoolean() ? "ticked" : "unticked")} '{S("stepId")}' item {e.Payload.GetProperty("index").GetInt32() + 1}"
                + (e.Payload.TryGetProperty("item", out var item) && item.ValueKind == JsonValueKind.Object
                    ? $": {item.Deserialize<LocalizedText>()?.In(language)}" : ""),
            IncidentEventTypes.Note => $"note: {S("text")}",
            IncidentEventTypes.Resolved => "resolved" + (e.Get("summary") is { } summary ? $": {summary}" : ""),
            IncidentEventTypes.Abandoned => "abandoned" + (e.Get("summary") is { } why ? $": {why}" : ""),
            IncidentEventTypes.DriverChanged when S("how") == "took" => $"took control from {S("from")}",
            IncidentEventTypes.DriverChanged => $"handed control to {S("driver")}",
            IncidentEventTypes.DriverRequested => $"asked {S("driver")} to hand over",
            _ => e.Payload.GetRawText(),
        };
    }

    private static string Reason(IncidentEvent e, string name, string language) =>
        e.Payload.TryGetProperty(name, out var reason) && reason.ValueKind == JsonValueKind.Object
        && reason.Deserialize<LocalizedText>()?.In(language) is { Length: > 0 } text
            ? $" — {text}"
            : "";

    private static string Describe(RunbookContent content, string reference, string language)
    {
        var target = Runbooks.Engine.WalkTarget.Parse(reference);
        return target.Kind switch
        {
            Runbooks.Engine.WalkTargetKind.Step => $"step '{target.Id}' ({StepTitle(content, target.Id, language)})",
            Runbooks.Engine.WalkTargetKind.Solution =>
                $"solution '{target.Id}' ({content.Solutions.Find(s => s.Id == target.Id)?.Title.In(language) ?? "?"})",
            _ => "the end of the runbook",
        };
    }

    private static string StepTitle(RunbookContent content, string stepId, string language) =>
        content.Steps.Find(s => s.Id == stepId)?.Title.In(language) ?? stepId;

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>Text on one line, with Markdown's table and emphasis characters made harmless.</summary>
    private static string Inline(string text) =>
        text.Replace("\r", " ", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    private static string Cell(string text) =>
        Inline(text).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("|", "\\|", StringComparison.Ordinal);

    /// <summary>A code fence longer than any run of backticks in <paramref name="text"/>, so output cannot close it.</summary>
    private static string Fence(string text)
    {
        int longest = 0, run = 0;
        foreach (var c in text)
        {
            run = c == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }

        return new string('`', Math.Max(3, longest + 1));
    }
}
