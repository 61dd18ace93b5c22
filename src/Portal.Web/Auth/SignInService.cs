using System.Security.Claims;
using Microsoft.AspNetCore.Identity;

namespace Portal.Web.Auth;

public enum SignInOutcome
{
    Success,
    Invalid,
    LockedOut,
}

/// <summary>
/// Checks a username and password: PBKDF2 hashes (ASP.NET Core's PasswordHasher), lockout after
/// repeated failures, an audit record for every attempt. Unknown users and wrong passwords get
/// the same answer, so the form does not reveal which usernames exist.
/// </summary>
public sealed class SignInService(UserStore users, IPasswordHasher<PortalUser> hasher, AuditLog audit, TimeProvider time)
{
    public const int LockAfterFailures = 5;
    public static readonly TimeSpan LockFor = TimeSpan.FromMinutes(15);

    public async Task<(SignInOutcome Outcome, ClaimsPrincipal? Principal)> CheckAsync(
        string? username, string? password, string source, string via, CancellationToken ct = default)
    {
        var name = (username ?? "").Trim().ToLowerInvariant();
        var user = name.Length is > 0 and <= 64 ? await users.FindAsync(name, ct) : null;
        if (user is null || user.Disabled || string.IsNullOrEmpty(password) || password.Length > 1024)
        {
            await audit.WriteAsync(Clip(name), source, "sign-in", via, "failure", new { reason = "unknown user or bad password" }, ct);
            return (SignInOutcome.Invalid, null);
        }

        if (user.LockedUntil is { } until && until > time.GetUtcNow())
        {
            await audit.WriteAsync(name, source, "sign-in", via, "locked", new { lockedUntil = until }, ct);
            return (SignInOutcome.LockedOut, null);
        }

        var result = hasher.VerifyHashedPassword(user, user.PasswordHash, password);
        if (result == PasswordVerificationResult.Failed)
        {
            await users.RecordFailureAsync(name, LockAfterFailures, LockFor, ct);
            await audit.WriteAsync(name, source, "sign-in", via, "failure", new { reason = "bad password", failures = user.FailedCount + 1 }, ct);
            return (SignInOutcome.Invalid, null);
        }

        var rehashed = result == PasswordVerificationResult.SuccessRehashNeeded ? hasher.HashPassword(user, password) : null;
        await users.RecordSuccessAsync(name, rehashed, ct);
        await audit.WriteAsync(name, source, "sign-in", via, "success", null, ct);
        return (SignInOutcome.Success, Principal(user, via));
    }

    public static ClaimsPrincipal Principal(PortalUser user, string scheme) => new(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.Name, user.Username),
            new Claim(ClaimTypes.Role, user.Role),
            new Claim("display_name", string.IsNullOrEmpty(user.DisplayName) ? user.Username : user.DisplayName),
        ], scheme, ClaimTypes.Name, ClaimTypes.Role));

    private static string Clip(string value) => value.Length <= 64 ? value : value[..64];
}
