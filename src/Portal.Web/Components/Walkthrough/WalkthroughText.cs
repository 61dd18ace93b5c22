using System.Globalization;
using System.Text.Json;
using Portal.Runbooks.Engine;
using Portal.Runbooks.Model;
using Portal.Web.Incidents;

namespace Portal.Web.Components.Walkthrough;

/// <summary>Where a step stands in a walkthrough, for the step list.</summary>
public enum StepProgress
{
    Upcoming,
    Current,
    Done,
}

/// <summary>Plain functions the walkthrough components share: names of targets, step progress, the last run of each step.</summary>
public static class WalkthroughText
{
    /// <summary>"2. Check the network path" for a step, the solution's title for "solution:x", the reference itself when unknown.</summary>
    public static string Describe(RunbookContent content, string? reference, string language)
    {
        var target = WalkTarget.Parse(reference);
        switch (target.Kind)
        {
            case WalkTargetKind.Step:
                var index = content.Steps.FindIndex(s => s.Id == target.Id);
                return index < 0 ? target.Id : $"{index + 1}. {content.Steps[index].Title.In(language)}";
            case WalkTargetKind.Solution:
                return content.Solutions.Find(s => s.Id == target.Id)?.Title.In(language) ?? target.Reference;
            default:
                return string.Empty;
        }
    }

    /// <summary>Done: entered earlier and left; current: where the walkthrough is; upcoming: not entered yet.</summary>
    public static StepProgress ProgressOf(string stepId, WalkTarget position, IReadOnlyList<IncidentEvent> timeline)
    {
        if (position.Kind == WalkTargetKind.Step && position.Id == stepId)
        {
            return StepProgress.Current;
        }

        return timeline.Any(e => e.Type == IncidentEventTypes.StepEntered && e.Get("target") == stepId)
            ? StepProgress.Done
            : StepProgress.Upcoming;
    }

    /// <summary>The newest run of each step (started or finished), by step id.</summary>
    public static Dictionary<string, StepRun> LastRuns(IReadOnlyList<IncidentEvent> timeline)
    {
        var runs = new Dictionary<string, StepRun>(StringComparer.Ordinal);
        var statuses = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var e in timeline.Where(e => e.Type == IncidentEventTypes.ProbeFinished))
        {
            if (e.Get("runId") is { } id)
            {
                statuses[id] = e.Get("status") ?? "error";
            }
        }

        foreach (var e in timeline.Where(e => e.Type == IncidentEventTypes.ProbeStarted))
        {
            if (e.Get("runId") is { } id && Guid.TryParse(id, out var runId) && e.Get("stepId") is { } step)
            {
                runs[step] = new StepRun(runId, e.Get("kind") ?? "", e.Get("target") ?? "", statuses.GetValueOrDefault(id, "running"));
            }
        }

        return runs;
    }

    public static string Time(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public static string ShortTime(DateTimeOffset at) => at.ToUniversalTime().ToString("MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>A LocalizedText payload property in <paramref name="language"/>, or empty.</summary>
    public static string Localized(IncidentEvent e, string name, string language) =>
        e.Payload.ValueKind == JsonValueKind.Object && e.Payload.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object
            ? (value.Deserialize<LocalizedText>() ?? []).In(language)
            : string.Empty;

    public static bool Flag(IncidentEvent e, string name) =>
        e.Payload.ValueKind == JsonValueKind.Object && e.Payload.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;
}

/// <summary>A probe run of one step: its id, probe, target and status (running until its end is recorded).</summary>
public sealed record StepRun(Guid RunId, string Kind, string Target, string Status);
