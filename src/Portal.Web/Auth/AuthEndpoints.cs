using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Portal.Web.Auth;

public static class AuthEndpoints
{
    public static IEndpointRouteBuilder MapAuthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // The login form posts here (with its antiforgery token); errors go back to the page.
        endpoints.MapPost("/account/login", async ([FromForm] LoginForm form, SignInService signIn, HttpContext http) =>
        {
            var returnUrl = SafeReturnUrl(form.ReturnUrl);
            var (outcome, principal) = await signIn.CheckAsync(form.Username, form.Password, Source(http), "password", http.RequestAborted);
            if (principal is null)
            {
                var error = outcome == SignInOutcome.LockedOut ? "locked" : "invalid";
                // The username comes back so the person only retypes the password.
                var name = Uri.EscapeDataString((form.Username ?? "").Trim()[..Math.Min(64, (form.Username ?? "").Trim().Length)]);
                return Results.LocalRedirect($"/login?error={error}&username={name}&returnUrl={Uri.EscapeDataString(returnUrl)}");
            }

            await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, principal);
            return Results.LocalRedirect(returnUrl);
        }).AllowAnonymous().RequireRateLimiting(Hosting.PortalRateLimits.SignInPolicy).ExcludeFromDescription();

        endpoints.MapPost("/account/logout", async (HttpContext http, AuditLog audit) =>
        {
            await audit.WriteAsync(http.User.Identity?.Name ?? "", Source(http), "sign-out", "", "success");
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.LocalRedirect("/login");
        }).RequireAuthorization(PortalRoles.Viewer).ExcludeFromDescription();

        var auth = endpoints.MapGroup("/api/auth").WithTags("Auth");
        auth.MapPost("/token", IssueTokenAsync).AllowAnonymous().RequireRateLimiting(Hosting.PortalRateLimits.SignInPolicy).WithName("IssueToken")
            .WithSummary("Exchanges a username and password for a bearer token (shown once; expires; revocable).")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status429TooManyRequests);
        auth.MapGet("/tokens", async (ApiTokens tokens, CancellationToken ct) => TypedResults.Ok(await tokens.ListAsync(null, ct)))
            .RequireAuthorization(PortalRoles.Admin).WithName("ListTokens").WithSummary("Every API token (never the token itself).");
        auth.MapDelete("/tokens/{id:guid}", RevokeTokenAsync).RequireAuthorization(PortalRoles.Admin).WithName("RevokeToken")
            .WithSummary("Revokes a token at once.").ProducesProblem(StatusCodes.Status404NotFound);

        var audit = endpoints.MapGroup("/api/audit").WithTags("Audit").RequireAuthorization(PortalRoles.Admin);
        audit.MapGet("/", async (AuditLog log, string? actor, string? action, DateTimeOffset? since, int? limit, CancellationToken ct) =>
                TypedResults.Ok(await log.QueryAsync(Blank(actor), Blank(action), since, Math.Clamp(limit ?? 200, 1, 5000), ct)))
            .WithName("QueryAudit").WithSummary("Audit records, newest first, filtered by actor, action prefix and time.");
        audit.MapGet("/export.csv", async (AuditLog log, string? actor, string? action, DateTimeOffset? since, CancellationToken ct) =>
                TypedResults.File(Encoding.UTF8.GetBytes(ToCsv(await log.QueryAsync(Blank(actor), Blank(action), since, 100_000, ct))),
                    "text/csv; charset=utf-8", "audit.csv"))
            .WithName("ExportAudit").WithSummary("The same records as CSV.");
        return endpoints;
    }

    internal static async Task<Results<Ok<TokenIssued>, ProblemHttpResult>> IssueTokenAsync(
        TokenRequest request, SignInService signIn, ApiTokens tokens, AuditLog audit, HttpContext http, CancellationToken ct)
    {
        var (outcome, principal) = await signIn.CheckAsync(request.Username, request.Password, Source(http), "token", ct);
        if (principal?.Identity?.Name is not { } username)
        {
            return TypedResults.Problem(
                title: outcome == SignInOutcome.LockedOut ? "Account locked" : "Sign-in failed",
                detail: outcome == SignInOutcome.LockedOut
                    ? $"Too many failed attempts; try again in {SignInService.LockFor.TotalMinutes:0} minutes."
                    : "Unknown user or wrong password.",
                statusCode: StatusCodes.Status401Unauthorized);
        }

        var lifetime = TimeSpan.FromDays(Math.Clamp(request.LifetimeDays ?? ApiTokens.DefaultLifetime.TotalDays, 1, 365));
        var (token, info) = await tokens.IssueAsync(username, Clip(request.Name ?? "api"), lifetime, ct);
        await audit.WriteAsync(username, Source(http), "token.issue", info.Id.ToString(), "success", new { info.Name, info.ExpiresAt }, ct);
        return TypedResults.Ok(new TokenIssued(token, info.Id, info.ExpiresAt));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> RevokeTokenAsync(
        Guid id, ApiTokens tokens, AuditLog audit, HttpContext http, CancellationToken ct)
    {
        var revoked = await tokens.RevokeAsync(id, ct);
        await audit.WriteAsync(http.User.Identity?.Name ?? "", Source(http), "token.revoke", id.ToString(), revoked ? "success" : "not found", null, ct);
        return revoked
            ? TypedResults.NoContent()
            : TypedResults.Problem(title: "Token not found", detail: $"No live token {id}.", statusCode: StatusCodes.Status404NotFound);
    }

    public static string Source(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "";

    /// <summary>Only local paths: the login form must not become an open redirect.</summary>
    public static string SafeReturnUrl(string? url) =>
        url is { Length: > 0 } && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal)
            ? url
            : "/";

    private static string ToCsv(IEnumerable<AuditEntry> entries)
    {
        var csv = new StringBuilder("id,at,actor,source,action,target,outcome,details\n");
        foreach (var e in entries)
        {
            csv.AppendJoin(',', e.Id, e.At.ToString("O"), Field(e.Actor), Field(e.Source), Field(e.Action), Field(e.Target), Field(e.Outcome), Field(e.Details)).Append('\n');
        }

        return csv.ToString();
    }

    /// <summary>Quoted, and never starting with a formula character (CSV injection in spreadsheets).</summary>
    private static string Field(string value)
    {
        var safe = value.Length > 0 && "=+-@\t\r".Contains(value[0], StringComparison.Ordinal) ? "'" + value : value;
        return "\"" + safe.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string Clip(string value) => value.Length <= 64 ? value : value[..64];
}

public sealed class LoginForm
{
    public string? Username { get; set; }

    public string? Password { get; set; }

    public string? ReturnUrl { get; set; }
}

public sealed record TokenRequest(string? Username, string? Password, string? Name = null, double? LifetimeDays = null);

/// <param name="Token">Shown once; send it as "Authorization: Bearer …".</param>
public sealed record TokenIssued(string Token, Guid Id, DateTimeOffset ExpiresAt);
