using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Portal.Web.Auth;

/// <summary>User management for admins: create, change role, reset password, disable. Every change is audited.</summary>
public static partial class UserEndpoints
{
    public const int MinPasswordLength = 12;

    public static IEndpointRouteBuilder MapUserEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var users = endpoints.MapGroup("/api/users").WithTags("Users").RequireAuthorization(PortalRoles.Admin);
        users.MapGet("/", async (UserStore store, CancellationToken ct) =>
                TypedResults.Ok((await store.ListAsync(ct)).Select(UserDto.From).ToList()))
            .WithName("ListUsers").WithSummary("Every user with role and state (never a password hash).");
        users.MapPost("/", CreateAsync).WithName("CreateUser").WithSummary("Creates a user with a role and an initial password.")
            .ProducesValidationProblem();
        users.MapPut("/{username}", UpdateAsync).WithName("UpdateUser")
            .WithSummary("Changes role, password (write-only) or disabled state; omitted fields stay as they are.")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        return endpoints;
    }

    internal static async Task<Results<Created<UserDto>, ValidationProblem>> CreateAsync(
        NewUserRequest request, UserAdmin admin, HttpContext http, CancellationToken ct)
    {
        var (user, errors) = await admin.CreateAsync(Actor(http), AuthEndpoints.Source(http), request, ct);
        return user is null
            ? TypedResults.ValidationProblem(errors, title: "The user was not created")
            : TypedResults.Created($"/api/users/{user.Username}", user);
    }

    internal static async Task<Results<Ok<UserDto>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        string username, UpdateUserRequest request, UserAdmin admin, HttpContext http, CancellationToken ct)
    {
        var (user, errors) = await admin.UpdateAsync(Actor(http), AuthEndpoints.Source(http), username, request, ct);
        if (user is not null)
        {
            return TypedResults.Ok(user);
        }

        return errors.TryGetValue(UserAdmin.NotFound, out var notFound)
            ? TypedResults.Problem(title: "User not found", detail: notFound[0], statusCode: StatusCodes.Status404NotFound)
            : TypedResults.ValidationProblem(errors, title: "The user was not changed");
    }

    public static Dictionary<string, string[]> Check(string username, string? role, string? password, bool passwordRequired)
    {
        var errors = new Dictionary<string, string[]>();
        if (!UsernamePattern().IsMatch(username))
        {
            errors["username"] = ["username: lower-case letters, digits, '.', '_' or '-', at most 64 characters."];
        }

        if (!PortalRoles.IsValid(role))
        {
            errors["role"] = [$"role must be one of: {string.Join(", ", PortalRoles.All)}."];
        }

        if ((passwordRequired || password is not null) && (password is null || password.Length < MinPasswordLength || password.Length > 1024))
        {
            errors["password"] = [$"password: {MinPasswordLength} to 1024 characters."];
        }

        return errors;
    }

    private static string Actor(HttpContext http) => http.User.Identity?.Name ?? "";

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex UsernamePattern();
}

public sealed record NewUserRequest(string? Username, string? DisplayName, string? Role, string? Password);

/// <param name="Password">Write-only: omitted keeps the current one.</param>
public sealed record UpdateUserRequest(string? Role = null, string? Password = null, bool? Disabled = null);

public sealed record UserDto(string Username, string DisplayName, string Role, bool Disabled, bool Locked, DateTimeOffset CreatedAt)
{
    public static UserDto From(PortalUser u) =>
        new(u.Username, u.DisplayName, u.Role, u.Disabled, u.LockedUntil > DateTimeOffset.UtcNow, u.CreatedAt);
}
