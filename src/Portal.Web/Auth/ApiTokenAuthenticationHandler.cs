using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Portal.Web.Auth;

/// <summary>
/// "Authorization: Bearer ptl_…" for API clients; SignalR clients that cannot set headers on a
/// WebSocket pass it as ?access_token= on /hubs paths only.
/// </summary>
public sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    ApiTokens tokens, UserStore users) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiToken";

    public static string? TokenFrom(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header["Bearer ".Length..].Trim();
        }

        return request.Path.StartsWithSegments("/hubs") && request.Query["access_token"] is { Count: 1 } query ? query.ToString() : null;
    }

    // A refused API or page call answers 401/403 itself; the not-found page must not replace it.
    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        DisableStatusCodePages();
        return base.HandleChallengeAsync(properties);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        DisableStatusCodePages();
        return base.HandleForbiddenAsync(properties);
    }

    private void DisableStatusCodePages()
    {
        if (Context.Features.Get<Microsoft.AspNetCore.Diagnostics.IStatusCodePagesFeature>() is { } feature)
        {
            feature.Enabled = false;
        }
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (TokenFrom(Request) is not { Length: > 0 } token)
        {
            return AuthenticateResult.NoResult();
        }

        PortalUser? user;
        try
        {
            user = await tokens.ValidateAsync(token, users, Context.RequestAborted);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
        {
            // Tokens live in the database: while it is down a token cannot be checked, so it is not accepted.
            return AuthenticateResult.Fail($"The token cannot be checked now: {ex.Message}");
        }

        return user is null
            ? AuthenticateResult.Fail("The token is unknown, expired or revoked.")
            : AuthenticateResult.Success(new AuthenticationTicket(SignInService.Principal(user, SchemeName), SchemeName));
    }
}
