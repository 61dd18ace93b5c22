using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Runbooks.Engine;
using Portal.Runbooks.Model;

namespace Portal.Web.Incidents;

/// <summary>/api/incidents: walkthroughs for chat bots and tooling. Refusals are RFC 7807 problems and record nothing.</summary>
public static class IncidentEndpoints
{
    public static IEndpointRouteBuilder MapIncidentApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/incidents").WithTags("Incidents");
        group.MapPost("/", StartAsync).WithName("StartIncident").RequireAuthorization(Portal.Web.Auth.PortalRoles.Responder)
            .WithSummary("Starts a walkthrough of a runbook's current version (pinned) in an environment. Returns {incidentId, url}; warnings name roles without a target.")
            .ProducesValidationProblem();
        group.MapGet("/", ListAsync).WithName("ListIncidents").RequireAuthorization(Portal.Web.Auth.PortalRoles.Viewer)
            .WithSummary("Incidents, newest first; ?status=open|resolved|abandoned, ?limit= (1-500, default 100).")
            .ProducesValidationProblem();
        group.MapGet("/{id:guid}", GetAsync).WithName("GetIncident").RequireAuthorization(Portal.Web.Auth.PortalRoles.Viewer)
            .WithSummary("An incident: state, current step or solution, the engine's recommendation, the running probe and the timeline.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{id:guid}/steps/{stepId}/run", RunStepAsync).WithName("RunIncidentStep").RequireAuthorization(Portal.Web.Auth.PortalRoles.Responder)
            .WithSummary("Runs the probe of the current step against the target bound to its role. Returns {runId}; stream it on /hubs/runs (StreamRun). "
                + "Only the driver may (409 \"You are not the driver\" names who is; POST /driver/take or /driver/request first).")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id:guid}/inputs/{stepId}", SubmitInputAsync).WithName("SubmitIncidentInput").RequireAuthorization(Portal.Web.Auth.PortalRoles.Responder)
            .WithSummary("Gives the value of the current input step; it must match the step's pattern.")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id:guid}/decisions", ChooseAsync).WithName("ChooseIncidentTarget").RequireAuthorization(Portal.Web.Auth.PortalRoles.Responder)
            .WithSummary("Goes to a step or \"solution:{id}\". A choice other than the recommendation is recorded as an override.")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id:guid}/checklist/{stepId}/{index:int}", TickAsync).WithName("TickIncidentChecklist").RequireAuthorization(Portal.Web.Auth.PortalRoles.Responder)
            .WithSummary("Ticks ({done: true}) or unticks a checklist item (0-based index) of a step.")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id:guid}/notes", AddNoteAsync).WithName("AddIncidentNote").RequireAuthorization(Portal.Web.Auth.PortalRoles.Viewer)
            .WithSummary("Adds a note (at most 4000 characters; no control characters but newlines). Stored before the answer.")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{id:guid}/resolve", ResolveAsync).WithName("ResolveIncident").RequireAuthorization(Portal.Web.Auth.PortalRoles.Responder)
            .WithSummary("Marks the incident resolved; optional {summary}.")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id:guid}/abandon", AbandonAsync).WithName("AbandonIncident").RequireAuthorization(Portal.Web.Auth.PortalRoles.Responder)
            .WithSummary("Marks the incident abandoned; optional {summary} saying why.")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id:guid}/driver/take", TakeControlAsync).WithName("TakeIncidentControl").RequireAuthorization(Portal.Web.Auth.PortalRoles.Responder)
            .WithSummary("Makes the caller the driver at once (recorded in the timeline and audited). Only the driver runs steps, "
                + "gives inputs, decides, ticks checklists, resolves and abandons; anyone else gets 409 naming the driver. "
                + "Whoever starts an incident drives it first, so a bot that starts one drives it until someone takes over.")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{id:guid}/driver/request", RequestControlAsync).WithName("RequestIncidentControl").RequireAuthorization(Portal.Web.Auth.PortalRoles.Responder)
            .WithSummary("Asks the driver to hand over to the caller; the request shows on the incident page and in driverRequests.")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{id:guid}/driver/handover", HandOverAsync).WithName("HandOverIncidentControl").RequireAuthorization(Portal.Web.Auth.PortalRoles.Responder)
            .WithSummary("The driver hands the walkthrough to {to} (a username with role responder or above). Recorded and audited.")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/{id:guid}/report", ReportAsync).WithName("GetIncidentReport").RequireAuthorization(Portal.Web.Auth.PortalRoles.Viewer)
            .WithSummary("The incident report in Markdown (?lang=en|zh-CN): findings, decisions and overrides, timeline, output excerpts with secrets masked.")
            .Produces<string>(StatusCodes.Status200OK, "text/markdown").ProducesProblem(StatusCodes.Status404NotFound);
        return endpoints;
    }

    internal static Task<IResult> StartAsync(StartIncidentRequest request, WalkthroughService service, HttpContext http, CancellationToken ct)
    {
        // Names are looked up in PostgreSQL, which refuses NUL outright: control characters are a 400, not a 500.
        var errors = new Dictionary<string, string[]>();
        foreach (var (field, value, max) in new[] { ("runbook", request.Runbook, 128), ("environment", request.Environment, 63), ("title", request.Title, 200) })
        {
            if (value is not null && (value.Length > max || value.Any(char.IsControl)))
            {
                errors[field] = [$"{field}: at most {max} characters, no control characters."];
            }
        }

        return errors.Count > 0 ? Task.FromResult<IResult>(TypedResults.ValidationProblem(errors, title: "The incident was not started")) : StartCheckedAsync(request, service, http, ct);
    }

    private static Task<IResult> StartCheckedAsync(StartIncidentRequest request, WalkthroughService service, HttpContext http, CancellationToken ct) =>
        Guard(async () =>
        {
            var started = await service.StartAsync(request.Runbook, request.Environment, User(http), request.Title, ct);
            return TypedResults.Created($"/api/incidents/{started.IncidentId}", new IncidentStartedDto(started.IncidentId, started.Url, started.Warnings));
        });

    internal static Task<IResult> ListAsync(string? status, int? limit, WalkthroughService service, CancellationToken ct) =>
        Guard(async () => TypedResults.Ok((await service.ListAsync(status, limit ?? 100, ct)).Select(IncidentSummaryDto.From).ToList()));

    internal static Task<IResult> GetAsync(Guid id, WalkthroughService service, CancellationToken ct) =>
        Guard(async () => TypedResults.Ok(IncidentDto.From(await service.GetAsync(id, ct))));

    internal static Task<IResult> RunStepAsync(Guid id, string stepId, WalkthroughService service, HttpContext http, CancellationToken ct) =>
        Guard(async () =>
        {
            var runId = await service.RunStepAsync(id, stepId, User(http), ct);
            return TypedResults.Accepted($"/api/runs/{runId}", new IncidentRunDto(runId));
        });

    internal static Task<IResult> SubmitInputAsync(Guid id, string stepId, InputRequest request, WalkthroughService service, HttpContext http, CancellationToken ct) =>
        Guard(async () => TypedResults.Ok(IncidentDto.From(await service.SubmitInputAsync(id, stepId, request.Value, User(http), ct))));

    internal static Task<IResult> ChooseAsync(Guid id, DecisionRequest request, WalkthroughService service, HttpContext http, CancellationToken ct) =>
        Guard(async () => TypedResults.Ok(IncidentDto.From(await service.ChooseAsync(id, request.Target, User(http), ct))));

    internal static Task<IResult> TickAsync(Guid id, string stepId, int index, ChecklistRequest request, WalkthroughService service, HttpContext http, CancellationToken ct) =>
        Guard(async () =>
        {
            await service.TickChecklistAsync(id, stepId, index, request.Done, User(http), ct);
            return TypedResults.NoContent();
        });

    internal static Task<IResult> AddNoteAsync(Guid id, NoteRequest request, WalkthroughService service, HttpContext http, CancellationToken ct) =>
        Guard(async () =>
        {
            var seq = await service.AddNoteAsync(id, request.Text, User(http), ct);
            return TypedResults.Created($"/api/incidents/{id}", new NoteAddedDto(seq));
        });

    internal static Task<IResult> ResolveAsync(Guid id, CloseRequest? request, WalkthroughService service, HttpContext http, CancellationToken ct) =>
        Guard(async () => TypedResults.Ok(IncidentDto.From(await service.ResolveAsync(id, User(http), request?.Summary, ct))));

    internal static Task<IResult> AbandonAsync(Guid id, CloseRequest? request, WalkthroughService service, HttpContext http, CancellationToken ct) =>
        Guard(async () => TypedResults.Ok(IncidentDto.From(await service.AbandonAsync(id, User(http), request?.Summary, ct))));

    internal static Task<IResult> TakeControlAsync(Guid id, WalkthroughService service, HttpContext http, CancellationToken ct) =>
        Guard(async () => TypedResults.Ok(IncidentDto.From(await service.TakeControlAsync(id, User(http), Portal.Web.Auth.AuthEndpoints.Source(http), ct))));

    internal static Task<IResult> RequestControlAsync(Guid id, WalkthroughService service, HttpContext http, CancellationToken ct) =>
        Guard(async () => TypedResults.Ok(IncidentDto.From(await service.RequestControlAsync(id, User(http), ct))));

    internal static Task<IResult> HandOverAsync(Guid id, HandOverRequest request, WalkthroughService service, HttpContext http, CancellationToken ct) =>
        Guard(async () => TypedResults.Ok(IncidentDto.From(await service.HandOverAsync(id, request.To, User(http), Portal.Web.Auth.AuthEndpoints.Source(http), ct))));

    internal static Task<IResult> ReportAsync(Guid id, string? lang, WalkthroughService service, CancellationToken ct) =>
        Guard(async () => TypedResults.Text(await service.GetReportAsync(id, Languages.Normalize(lang), ct), "text/markdown; charset=utf-8"));

    private static string User(HttpContext http) => http.User.Identity?.Name ?? "anonymous";

    /// <summary>Turns a refusal into a problem: 404 for an unknown incident, 409 for a clash, else 400 naming the field.</summary>
    private static async Task<IResult> Guard(Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (IncidentException ex) when (ex.Kind == IncidentErrorKind.NotFound)
        {
            return TypedResults.Problem(title: "Incident not found", detail: ex.Message, statusCode: StatusCodes.Status404NotFound);
        }
        catch (IncidentException ex) when (ex.Kind == IncidentErrorKind.NotDriver)
        {
            return TypedResults.Problem(title: "You are not the driver", detail: ex.Message, statusCode: StatusCodes.Status409Conflict,
                extensions: new Dictionary<string, object?> { ["driver"] = ex.Driver });
        }
        catch (IncidentException ex) when (ex.Kind == IncidentErrorKind.Conflict)
        {
            return TypedResults.Problem(title: "Not now", detail: ex.Message, statusCode: StatusCodes.Status409Conflict);
        }
        catch (IncidentException ex)
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { [ex.Field] = [ex.Message] }, detail: ex.Message, title: "The request was refused; nothing was recorded");
        }
    }
}
