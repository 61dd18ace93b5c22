using Portal.Runbooks.Model;
using Portal.Web.Auth;
using Portal.Web.Incidents;

namespace Portal.Web.Triage;

/// <summary>/api/triage: sweeps, their matrix and ranked runbooks, walkthroughs started from them, sweep definitions.</summary>
public static class TriageEndpoints
{
    public static IEndpointRouteBuilder MapTriageApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/triage").WithTags("Triage");
        group.MapPost("/", StartAsync).WithName("StartTriage").RequireAuthorization(PortalRoles.Responder)
            .WithSummary("Sweeps an environment ({environment}): every check of its sweep definition at once. Returns {sweepId}; GET it for the matrix and the ranked runbooks.")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status429TooManyRequests);
        group.MapGet("/{id:guid}", GetAsync).WithName("GetTriage").RequireAuthorization(PortalRoles.Viewer)
            .WithSummary("A sweep: status, the target-by-check matrix (each cell's run, status, summary, findings) and the ranked runbook suggestions with their reasons.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{id:guid}/walkthrough", StartWalkthroughAsync).WithName("StartTriageWalkthrough").RequireAuthorization(PortalRoles.Responder)
            .WithSummary("Starts a walkthrough of a suggested runbook ({runbook}) with the sweep's findings in place, at the step that needs attention. Returns {incidentId, url}.")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/definitions/{environment}", GetDefinitionAsync).WithName("GetTriageDefinition").RequireAuthorization(PortalRoles.Viewer)
            .WithSummary("Which probes a sweep of the environment runs on which targets; {isDefault} when it uses the built-in defaults.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPut("/definitions/{environment}", PutDefinitionAsync).WithName("PutTriageDefinition").RequireAuthorization(PortalRoles.Admin)
            .WithSummary("Sets the environment's sweep definition {checks: [{role|targetKind, probe, parameters, timeoutSeconds}]}.")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        group.MapDelete("/definitions/{environment}", DeleteDefinitionAsync).WithName("DeleteTriageDefinition").RequireAuthorization(PortalRoles.Admin)
            .WithSummary("Goes back to the built-in sweep definition for the environment.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return endpoints;
    }

    internal static Task<IResult> StartAsync(StartTriageRequest? request, TriageService service, AuditLog audit, HttpContext http, CancellationToken ct) =>
        Guard(http, async () =>
        {
            var id = await service.StartAsync(request?.Environment, User(http), AuthEndpoints.Source(http), ct);
            await audit.WriteAsync(User(http), AuthEndpoints.Source(http), "triage.sweep", request!.Environment!, "started", new { sweepId = id }, ct);
            return TypedResults.Accepted($"/api/triage/{id}", new TriageStartedDto(id, $"/triage?sweep={id}"));
        });

    internal static Task<IResult> GetAsync(Guid id, TriageService service, HttpContext http, CancellationToken ct) =>
        Guard(http, async () => TypedResults.Ok(await service.GetAsync(id, ct)));

    internal static Task<IResult> StartWalkthroughAsync(Guid id, TriageWalkthroughRequest? request, TriageService service, HttpContext http, CancellationToken ct) =>
        Guard(http, async () =>
        {
            var started = await service.StartWalkthroughAsync(id, request?.Runbook, User(http), ct);
            return TypedResults.Created($"/api/incidents/{started.IncidentId}", new IncidentStartedDto(started.IncidentId, started.Url, started.Warnings));
        });

    internal static Task<IResult> GetDefinitionAsync(string environment, TriageService service, HttpContext http, CancellationToken ct) =>
        Guard(http, async () =>
        {
            var (definition, isDefault) = await service.GetDefinitionAsync(environment, ct);
            return TypedResults.Ok(new TriageDefinitionDto(environment, isDefault, definition.Checks));
        });

    internal static Task<IResult> PutDefinitionAsync(string environment, SweepDefinition? definition, TriageService service, AuditLog audit, HttpContext http, CancellationToken ct) =>
        Guard(http, async () =>
        {
            if (definition is null)
            {
                throw new TriageException("checks", "The body is a sweep definition: {checks: [...]}.");
            }

            await service.SetDefinitionAsync(environment, definition, User(http), ct);
            await audit.WriteAsync(User(http), AuthEndpoints.Source(http), "triage.definition", environment, "set", new { checks = definition.Checks.Count }, ct);
            return TypedResults.NoContent();
        });

    internal static Task<IResult> DeleteDefinitionAsync(string environment, TriageService service, AuditLog audit, HttpContext http, CancellationToken ct) =>
        Guard(http, async () =>
        {
            await service.SetDefinitionAsync(environment, null, User(http), ct);
            await audit.WriteAsync(User(http), AuthEndpoints.Source(http), "triage.definition", environment, "reset", null, ct);
            return TypedResults.NoContent();
        });

    private static string User(HttpContext http) => http.User.Identity?.Name ?? "anonymous";

    /// <summary>404 for an unknown sweep or environment, 429 when rate limited, else 400 naming the field; walkthrough refusals likewise.</summary>
    private static async Task<IResult> Guard(HttpContext http, Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (TriageException ex) when (ex.NotFound)
        {
            return TypedResults.Problem(title: "Not found", detail: ex.Message, statusCode: StatusCodes.Status404NotFound);
        }
        catch (TriageException ex) when (ex.RetryAfter is { } wait)
        {
            http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return TypedResults.Problem(title: "Too many probe runs", detail: ex.Message, statusCode: StatusCodes.Status429TooManyRequests);
        }
        catch (TriageException ex)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [ex.Field] = [ex.Message] }, detail: ex.Message, title: "The request was refused; nothing was started");
        }
        catch (IncidentException ex)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [ex.Field] = [ex.Message] }, detail: ex.Message, title: "The walkthrough was not started");
        }
    }
}

public sealed record StartTriageRequest(string? Environment);

public sealed record TriageWalkthroughRequest(string? Runbook);

public sealed record TriageStartedDto(Guid SweepId, string Url);

public sealed record TriageDefinitionDto(string Environment, bool IsDefault, IReadOnlyList<SweepCheck> Checks);
