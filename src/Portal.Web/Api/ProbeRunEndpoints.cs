using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Probes;
using Portal.Probes.Contract;
using Portal.Web.Auth;
using Portal.Web.Runs;

namespace Portal.Web.Api;

public static class ProbeRunEndpoints
{
    public static IEndpointRouteBuilder MapProbeRunApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/probes", (ProbeCatalog catalog) => TypedResults.Ok(catalog.Descriptors.Select(ProbeDto.From).ToList()))
            .WithTags("Probes").WithName("ListProbes").RequireAuthorization(PortalRoles.Viewer)
            .WithSummary("The probe catalog: every kind with its parameter schema and time limits.");

        var runs = endpoints.MapGroup("/api/runs").WithTags("Runs");
        runs.MapPost("/", StartAsync).WithName("StartRun").RequireAuthorization(PortalRoles.Responder)
            .WithSummary("Runs a probe against an inventory target. Returns the run id; stream it on /hubs/runs (StreamRun).")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status429TooManyRequests);
        runs.MapGet("/{runId:guid}", GetAsync).WithName("GetRun").RequireAuthorization(PortalRoles.Viewer)
            .WithSummary("A run: status, verdict, findings, metrics and output.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        runs.MapDelete("/{runId:guid}", Cancel).WithName("CancelRun").RequireAuthorization(PortalRoles.Responder)
            .WithSummary("Stops a running probe; it is recorded as cancelled.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return endpoints;
    }

    internal static async Task<Results<Accepted<RunStartedDto>, ValidationProblem, ProblemHttpResult>> StartAsync(
        RunRequest request, ProbeRunner runner, HttpContext http, CancellationToken ct)
    {
        var result = await runner.StartAsync(request, http.User.Identity?.Name ?? "anonymous", AuthEndpoints.Source(http), ct);
        if (result.RetryAfter is { } wait)
        {
            http.Response.Headers.RetryAfter = ((int)wait.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return TypedResults.Problem(new HttpValidationProblemDetails(result.Errors.ToDictionary(e => e.Key, e => new[] { e.Value }))
            {
                Title = "Too many probe runs", Status = StatusCodes.Status429TooManyRequests, Detail = result.Errors[RunStartResult.RateField],
            });
        }

        if (result.RunId is not { } runId)
        {
            return TypedResults.ValidationProblem(result.Errors.ToDictionary(e => e.Key, e => new[] { e.Value }),
                title: "The probe was not started");
        }

        return TypedResults.Accepted($"/api/runs/{runId}", new RunStartedDto(runId));
    }

    internal static async Task<Results<Ok<RunDto>, ProblemHttpResult>> GetAsync(Guid runId, RunStore store, CancellationToken ct)
    {
        var run = await store.GetAsync(runId, ct);
        if (run is null)
        {
            return TypedResults.Problem(title: "Run not found", detail: $"There is no run {runId}.", statusCode: StatusCodes.Status404NotFound);
        }

        var events = await store.ReadEventsAsync(runId, 0, 200_000, ct);
        return TypedResults.Ok(RunDto.From(run, events));
    }

    internal static Results<Accepted, ProblemHttpResult> Cancel(Guid runId, ProbeRunner runner) =>
        runner.Cancel(runId)
            ? TypedResults.Accepted($"/api/runs/{runId}")
            : TypedResults.Problem(title: "Not running", detail: $"Run {runId} is not running on this portal.", statusCode: StatusCodes.Status404NotFound);
}

public sealed record RunStartedDto(Guid RunId);

public sealed record ProbeParameterDto(
    string Name, string Type, string Description, bool Required, string? Default, string? Pattern, long? Min, long? Max,
    IReadOnlyList<string>? Choices, bool Secret, int MaxLength);

public sealed record ProbeDto(
    string Kind, string Title, string TitleZh, string Description, IReadOnlyList<string> TargetKinds,
    IReadOnlyList<ProbeParameterDto> Parameters, double DefaultTimeoutSeconds, double MaxTimeoutSeconds, bool Follows)
{
    public static ProbeDto From(ProbeDescriptor d) => new(
        d.Kind, d.Title, d.TitleZh, d.Description,
        [.. d.TargetKinds.Select(k => k.ToString().ToLowerInvariant())],
        [.. d.Parameters.Select(p => new ProbeParameterDto(p.Name, p.Type.ToString().ToLowerInvariant(), p.Description, p.Required,
            p.Secret ? null : p.Default, p.Pattern, p.Min, p.Max, p.Choices, p.Secret, p.MaxLength))],
        d.DefaultTimeout.TotalSeconds, d.MaxTimeout.TotalSeconds, d.Follows);
}

public sealed record RunOutputLineDto(long Seq, DateTimeOffset At, string Stream, string Text);

public sealed record RunMetricDto(string Name, double Value, string Unit);

public sealed record RunVerdictDto(string Status, string Summary);

public sealed record RunDto(
    Guid RunId, string Kind, string Environment, string Target, IReadOnlyDictionary<string, string> Parameters,
    string RequestedBy, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, string Status, RunVerdictDto? Verdict,
    string Summary, IReadOnlyDictionary<string, string> Findings, IReadOnlyList<RunMetricDto> Metrics,
    IReadOnlyList<RunOutputLineDto> Output, int DroppedLines)
{
    public static RunDto From(RunRecord run, IReadOnlyList<RunEvent> events)
    {
        var verdict = events.LastOrDefault(e => e.Type == RunEventTypes.Verdict);
        var findings = run.Status == RunStatus.Running
            ? events.Where(e => e.Type == RunEventTypes.Finding).GroupBy(e => e.Key!).ToDictionary(g => g.Key, g => g.Last().Value ?? "")
            : run.Findings;
        return new RunDto(
            run.Id, run.Kind, run.Environment, run.Target, run.Parameters, run.RequestedBy, run.StartedAt, run.FinishedAt,
            run.Status, verdict is null ? null : new RunVerdictDto(verdict.Value!, verdict.Text ?? ""), run.Summary, findings,
            [.. events.Where(e => e.Type == RunEventTypes.Metric).Select(e => new RunMetricDto(e.Key!, e.Number ?? 0, e.Unit ?? ""))],
            [.. events.Where(e => e.Type == RunEventTypes.Output).Select(e => new RunOutputLineDto(e.Seq, e.At, e.Stream ?? "stdout", e.Text ?? ""))],
            run.DroppedLines);
    }
}
