using System.Security.Claims;

namespace Portal.Web.Auth;

/// <summary>
/// viewer (read runbooks, watch incidents) &lt; responder (start walkthroughs, run probes) &lt;
/// editor (edit runbooks) &lt; admin (targets, users, tokens). Each role can do what the lower ones can;
/// the policy names are the role names.
/// </summary>
public static class PortalRoles
{
    public const string Viewer = "viewer";
    public const string Responder = "responder";
    public const string Editor = "editor";
    public const string Admin = "admin";

    public static IReadOnlyList<string> All { get; } = [Viewer, Responder, Editor, Admin];

    /// <summary>0 for anonymous or unknown, then 1..4 in the order of <see cref="All"/>.</summary>
    public static int Rank(string? role) => role is null ? 0 : All.ToList().IndexOf(role) + 1;

    public static int Rank(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true ? Rank(user.FindFirstValue(ClaimTypes.Role)) : 0;

    public static bool IsValid(string? role) => Rank(role) > 0;
}
