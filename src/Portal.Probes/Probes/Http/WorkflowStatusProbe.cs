using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Portal.Probes.Contract;

namespace Portal.Probes.Probes.Http;

/// <summary>
/// The platform API's view of one workflow, with the failing step, its error and timings
/// highlighted.
/// <para>
/// Expected answer of <c>GET {BaseUrl}/platform/workflows/{workflow_id}/status</c> (the sample
/// platform implements this shape; the probe is lenient about it):
/// <code>
/// {
///   "workflow_id": "wf-20240501-42",
///   "status": "failed",                 // pending | running | succeeded | failed | cancelled | timed_out
///   "started_at": "2024-05-01T10:00:00Z",
///   "finished_at": "2024-05-01T10:03:12Z",
///   "error": "step 'train' failed",     // optional, workflow-level
///   "steps": [
///     { "name": "prepare", "status": "succeeded", "started_at": "…", "finished_at": "…" },
///     { "name": "train",   "status": "failed", "error": "CUDA out of memory",
///       "started_at": "…", "finished_at": "…", "duration_ms": 185000 }
///   ]
/// }
/// </code>
/// Leniency: "state" for "status" (workflow and steps); "id" or "step" for a step's "name";
/// "tasks" for "steps"; "message" or "error_message" for "error" (an object's "message" too);
/// "duration_ms" (ms) or "duration" (seconds) when timestamps are missing; the whole object may be
/// wrapped in "data" or "workflow". Statuses are lower-cased and folded: success/completed/done →
/// succeeded, error/failure → failed, in_progress/started → running, queued → pending.
/// </para>
/// </summary>
public sealed class WorkflowStatusProbe : IProbe
{
    public ProbeDescriptor Descriptor { get; } = new(
        Kind: "workflow.status",
        Title: "Workflow status",
        TitleZh: "工作流状态",
        Description: "Reads a workflow's status from the platform API and points at the failing step, its error and timings.",
        TargetKinds: [TargetKind.Http],
        Parameters:
        [
            new ProbeParameter("workflow_id", ParameterType.String, "The workflow's id.", Required: true, Pattern: "[A-Za-z0-9_-]{1,64}", MaxLength: 64),
            new ProbeParameter("timeout_ms", ParameterType.Integer, "Time limit for the request.", Default: "10000", Min: 100, Max: 60000),
        ],
        DefaultTimeout: TimeSpan.FromSeconds(20),
        MaxTimeout: TimeSpan.FromSeconds(60));

    public async IAsyncEnumerable<ProbeEvent> RunAsync(ProbeRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        var id = request.Get("workflow_id");
        var uri = HttpText.Under(request.Target.BaseUrl, $"/platform/workflows/{Uri.EscapeDataString(id)}/status");
        if (uri is null)
        {
            yield return new Verdict(VerdictStatus.Error, $"Target '{request.Target.Name}' has no http(s) base URL.");
            yield break;
        }

        using var client = new GuardedHttpClient(request);
        yield return new OutputLine($"> GET {HttpText.Show(uri)}", OutputStream.Info);
        var attempt = await client.SendAsync(HttpMethod.Get, uri, 256 * 1024, TimeSpan.FromMilliseconds(request.GetInt("timeout_ms")), ct);
        ct.ThrowIfCancellationRequested();
        _ = client.TakeConnections();
        if (!attempt.Responded || attempt.Error is not null)
        {
            yield return new OutputLine($"! {attempt.Error}: {attempt.ErrorDetail}", OutputStream.Stderr);
            yield return new Finding("http.error", attempt.Error!);
            yield return new Verdict(VerdictStatus.Fail, $"The platform API did not answer: {attempt.Error} ({attempt.ErrorDetail}).");
            yield break;
        }

        yield return new OutputLine($"< {attempt.Status} in {ProbeText.Ms(attempt.Elapsed)}");
        yield return new Finding("http.status", ProbeText.Number(attempt.Status));
        if (attempt.Status == 404)
        {
            yield return new Finding("workflow.found", "false");
            yield return new Verdict(VerdictStatus.Fail, $"workflow not found: the platform API has no workflow '{id}' (404).");
            yield break;
        }

        if (attempt.Status != 200)
        {
            foreach (var line in HttpText.Excerpt(attempt.Body, 1024, 10))
            {
                yield return new OutputLine(line, OutputStream.Stderr);
            }

            yield return new Verdict(VerdictStatus.Fail, $"The platform API answered {attempt.Status} for workflow '{id}'.");
            yield break;
        }

        var workflow = WorkflowDocument.TryParse(attempt.Body);
        if (workflow is null)
        {
            foreach (var line in HttpText.Excerpt(attempt.Body, 1024, 10))
            {
                yield return new OutputLine(line, OutputStream.Stderr);
            }

            yield return new Verdict(VerdictStatus.Error, "The answer is not a workflow status JSON object with a status.");
            yield break;
        }

        foreach (var e in Describe(id, workflow))
        {
            yield return e;
        }
    }

    private static IEnumerable<ProbeEvent> Describe(string id, WorkflowDocument w)
    {
        yield return new Finding("workflow.found", "true");
        yield return new Finding("workflow.status", w.Status);
        yield return new Finding("workflow.steps", ProbeText.Number(w.Steps.Count));
        yield return new OutputLine($"workflow {id}: {w.Status}" + (w.Duration is { } d ? $" ({Span(d)})" : string.Empty));
        foreach (var s in w.Steps.Take(100))
        {
            var mark = s.Status == "failed" ? "✗" : s.Status == "succeeded" ? "✓" : s.Status == "running" ? "…" : "·";
            yield return new OutputLine(
                $"  {mark} {HttpText.Printable(s.Name)}: {s.Status}" + (s.Duration is { } sd ? $", {Span(sd)}" : string.Empty)
                + (s.StartedAt is { } st ? $", started {st:u}" : string.Empty)
                + (s.Error is { } se ? $" — {Short(se)}" : string.Empty),
                s.Status == "failed" ? OutputStream.Stderr : OutputStream.Stdout);
        }

        if (w.Duration is { } total)
        {
            yield return new Metric("workflow_ms", total.TotalMilliseconds, "ms");
        }

        var failed = w.Steps.FirstOrDefault(s => s.Status is "failed" or "timed_out");
        var error = failed?.Error ?? w.Error;
        if (failed is not null)
        {
            yield return new Finding("workflow.failed_step", GuardedHttpClient.Shorten(HttpText.Printable(failed.Name), 128));
            if (failed.Duration is { } fd)
            {
                yield return new Metric("failed_step_ms", fd.TotalMilliseconds, "ms");
            }
        }

        if (error is not null)
        {
            yield return new Finding("workflow.error", Short(error));
        }

        var running = w.Steps.FirstOrDefault(s => s.Status == "running");
        if (running is not null)
        {
            yield return new Finding("workflow.running_step", GuardedHttpClient.Shorten(HttpText.Printable(running.Name), 128));
        }

        switch (w.Status)
        {
            case "succeeded":
                yield return new Verdict(VerdictStatus.Pass, $"Workflow {id} succeeded ({w.Steps.Count} steps).");
                break;
            case "failed" or "timed_out" or "cancelled":
                yield return new Verdict(VerdictStatus.Fail, $"Workflow {id} {w.Status.Replace('_', ' ')}"
                    + (failed is not null ? $" at step '{HttpText.Printable(failed.Name)}'" : string.Empty)
                    + (error is not null ? $": {Short(error)}" : ".")
                    + (failed?.Duration is { } fdd ? $" (after {Span(fdd)})" : string.Empty));
                break;
            case "running" or "pending":
                yield return new Verdict(VerdictStatus.Warn, $"Workflow {id} is {w.Status}"
                    + (running is not null ? $" at step '{HttpText.Printable(running.Name)}'" : string.Empty)
                    + (running?.StartedAt is { } rs ? $", started {rs:u} ({Span(DateTimeOffset.UtcNow - rs)} ago)." : "."));
                break;
            default:
                yield return new Verdict(VerdictStatus.Warn, $"Workflow {id} reports status '{w.Status}'.");
                break;
        }
    }

    private static string Short(string s) => GuardedHttpClient.Shorten(HttpText.Printable(s), 500);

    private static string Span(TimeSpan t) =>
        t.TotalSeconds < 1 ? ProbeText.Ms(t)
        : t.TotalMinutes < 2 ? ProbeText.Number(Math.Round(t.TotalSeconds, 1)) + " s"
        : t.ToString(t.TotalDays >= 1 ? @"d\.hh\:mm\:ss" : @"hh\:mm\:ss", CultureInfo.InvariantCulture);
}

internal sealed record WorkflowStep(string Name, string Status, string? Error, DateTimeOffset? StartedAt, TimeSpan? Duration);

internal sealed record WorkflowDocument(string Status, string? Error, TimeSpan? Duration, IReadOnlyList<WorkflowStep> Steps)
{
    public static WorkflowDocument? TryParse(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 32 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            foreach (var wrapper in new[] { "data", "workflow" })
            {
                if (Prop(root, wrapper) is { ValueKind: JsonValueKind.Object } inner && StatusOf(inner) is not null)
                {
                    root = inner;
                }
            }

            if (StatusOf(root) is not { } status)
            {
                return null;
            }

            var steps = new List<WorkflowStep>();
            if ((Prop(root, "steps") ?? Prop(root, "tasks")) is { ValueKind: JsonValueKind.Array } array)
            {
                var n = 0;
                foreach (var s in array.EnumerateArray())
                {
                    n++;
                    if (s.ValueKind != JsonValueKind.Object)
                    {
                        continue;
                    }

                    var name = Text(s, "name") ?? Text(s, "id") ?? Text(s, "step") ?? $"step {n}";
                    steps.Add(new WorkflowStep(name, Fold(StatusOf(s) ?? "unknown"), ErrorOf(s), Time(s, "started_at"), DurationOf(s)));
                }
            }

            return new WorkflowDocument(Fold(status), ErrorOf(root), DurationOf(root), steps);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal static string Fold(string raw) => raw.Trim().ToLowerInvariant().Replace('-', '_').Replace(' ', '_') switch
    {
        "success" or "successful" or "succeeded" or "completed" or "complete" or "done" or "ok" => "succeeded",
        "fail" or "failed" or "failure" or "error" or "errored" => "failed",
        "in_progress" or "running" or "started" or "active" or "processing" => "running",
        "queued" or "pending" or "waiting" or "scheduled" or "created" => "pending",
        "canceled" or "cancelled" or "aborted" => "cancelled",
        "timeout" or "timed_out" => "timed_out",
        var other => GuardedHttpClient.Shorten(HttpText.KeySegment(other), 32),
    };

    private static string? StatusOf(JsonElement e) => Text(e, "status") ?? Text(e, "state");

    private static string? ErrorOf(JsonElement e)
    {
        foreach (var name in new[] { "error", "error_message", "message" })
        {
            switch (Prop(e, name))
            {
                case { ValueKind: JsonValueKind.String } s when s.GetString() is { Length: > 0 } text:
                    return text;
                case { ValueKind: JsonValueKind.Object } o when Text(o, "message") is { } m:
                    return m;
                default:
                    break;
            }
        }

        return null;
    }

    private static TimeSpan? DurationOf(JsonElement e)
    {
        if (Time(e, "started_at") is { } start && Time(e, "finished_at") is { } end && end >= start)
        {
            return end - start;
        }

        if (Prop(e, "duration_ms") is { ValueKind: JsonValueKind.Number } ms && ms.TryGetDouble(out var m) && m >= 0)
        {
            return TimeSpan.FromMilliseconds(m);
        }

        if (Prop(e, "duration") is { ValueKind: JsonValueKind.Number } sec && sec.TryGetDouble(out var s) && s >= 0 && s < 1e9)
        {
            return TimeSpan.FromSeconds(s);
        }

        return null;
    }

    private static DateTimeOffset? Time(JsonElement e, string name) =>
        Text(e, name) is { } t && DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var v) ? v : null;

    private static JsonElement? Prop(JsonElement e, string name)
    {
        foreach (var p in e.EnumerateObject())
        {
            if (p.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return p.Value;
            }
        }

        return null;
    }

    private static string? Text(JsonElement e, string name) => Prop(e, name) is { ValueKind: JsonValueKind.String } v ? v.GetString() : null;
}
