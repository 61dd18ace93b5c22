using Microsoft.AspNetCore.Identity;

namespace Portal.Web.Auth;

/// <summary>Creating and changing users, for the API and the users page alike: same checks, same audit records.</summary>
public sealed class UserAdmin(UserStore store, IPasswordHasher<PortalUser> hasher, AuditLog audit)
{
    /// <summary>Error key meaning "no such user".</summary>
    public const string NotFound = "";

    public async Task<(UserDto? User, Dictionary<string, string[]> Errors)> CreateAsync(
        string actor, string source, NewUserRequest request, CancellationToken ct = default)
    {
        var username = (request.Username ?? "").Trim().ToLowerInvariant();
        var errors = UserEndpoints.Check(username, request.Role, request.Password, passwordRequired: true);
        if (errors.Count == 0 && await store.FindAsync(username, ct) is not null)
        {
            errors["username"] = [$"There is already a user '{username}'."];
        }

        if (errors.Count > 0)
        {
            await audit.WriteAsync(actor, source, "user.create", Clip(username), "refused", new { errors = errors.Keys }, ct);
            return (null, errors);
        }

        var user = new PortalUser(username, Clip(request.DisplayName ?? username), request.Role!, "", 0, null, false, DateTimeOffset.UtcNow);
        await store.CreateAsync(username, user.DisplayName, user.Role, hasher.HashPassword(user, request.Password!), ct);
        await audit.WriteAsync(actor, source, "user.create", username, "success", new { request.Role }, ct);
        return (UserDto.From((await store.FindAsync(username, ct))!), errors);
    }

    public async Task<(UserDto? User, Dictionary<string, string[]> Errors)> UpdateAsync(
        string actor, string source, string username, UpdateUserRequest request, CancellationToken ct = default)
    {
        if (await store.FindAsync(username, ct) is not { } user)
        {
            return (null, new Dictionary<string, string[]> { [NotFound] = [$"There is no user '{Clip(username)}'."] });
        }

        var errors = UserEndpoints.Check(username, request.Role ?? user.Role, request.Password, passwordRequired: false);
        if (username == actor && (request.Disabled == true || (request.Role is not null && request.Role != PortalRoles.Admin)))
        {
            errors["role"] = ["You cannot remove your own admin role or disable yourself; ask another admin."];
        }

        if (errors.Count > 0)
        {
            await audit.WriteAsync(actor, source, "user.update", username, "refused", new { errors = errors.Keys }, ct);
            return (null, errors);
        }

        if (request.Role is { } role)
        {
            await store.SetRoleAsync(username, role, ct);
        }

        if (request.Password is { Length: > 0 } password)
        {
            await store.SetPasswordHashAsync(username, hasher.HashPassword(user, password), ct);
        }

        if (request.Disabled is { } disabled)
        {
            await store.SetDisabledAsync(username, disabled, ct);
        }

        await audit.WriteAsync(actor, source, "user.update", username, "success",
            new { request.Role, password = request.Password is null ? "kept" : "changed", request.Disabled }, ct);
        return (UserDto.From((await store.FindAsync(username, ct))!), errors);
    }

    private static string Clip(string value) => value.Length <= 64 ? value : value[..64];
}
