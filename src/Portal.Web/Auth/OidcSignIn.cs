using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Identity;

namespace Portal.Web.Auth;

/// <summary>Portal:Oidc settings. Sign-in with an identity provider is off unless Authority and ClientId are set.</summary>
public sealed class OidcSettings
{
    public string? Authority { get; init; }

    public string? ClientId { get; init; }

    public string? ClientSecret { get; init; }

    /// <summary>The button's label on the login page ("Sign in with {DisplayName}").</summary>
    public string DisplayName { get; init; } = "SSO";

    /// <summary>The claim that becomes the portal username (lower-cased; must fit the username rules).</summary>
    public string UsernameClaim { get; init; } = "preferred_username";

    /// <summary>Claim whose values may name a portal role; the highest wins at the first sign-in.</summary>
    public string RoleClaim { get; init; } = "roles";

    /// <summary>Role of a person signing in for the first time without a role claim.</summary>
    public string DefaultRole { get; init; } = PortalRoles.Viewer;

    /// <summary>Only for a provider on loopback in tests and labs; production providers speak HTTPS.</summary>
    public bool RequireHttpsMetadata { get; init; } = true;

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority) && !string.IsNullOrWhiteSpace(ClientId);
}

/// <summary>
/// Optional OpenID Connect sign-in (authorization code + PKCE). The identity provider proves who
/// someone is; the portal's own user table still decides what they may do: the first sign-in creates
/// the user (role from <see cref="OidcSettings.RoleClaim"/> or <see cref="OidcSettings.DefaultRole"/>),
/// later role changes are an admin's, and a disabled user stays out whatever the provider says.
/// </summary>
public static class OidcSignIn
{
    public const string Scheme = "oidc";
    public const string LoginPath = "/account/login/oidc";

    public static IServiceCollection AddPortalOidc(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection("Portal:Oidc").Get<OidcSettings>() ?? new OidcSettings();
        services.AddSingleton(settings);
        if (!settings.Enabled)
        {
            return services;
        }

        if (!PortalRoles.IsValid(settings.DefaultRole))
        {
            throw new InvalidOperationException($"Portal:Oidc:DefaultRole must be one of: {string.Join(", ", PortalRoles.All)}.");
        }

        services.AddAuthentication().AddOpenIdConnect(Scheme, settings.DisplayName, o =>
        {
            o.Authority = settings.Authority;
            o.ClientId = settings.ClientId;
            o.ClientSecret = settings.ClientSecret;
            o.RequireHttpsMetadata = settings.RequireHttpsMetadata;
            o.SignInScheme = CookieAuthenticationDefaults.AuthenticationScheme;
            o.ResponseType = "code";
            o.UsePkce = true;
            // The answer comes back as a top-level GET, so the correlation and nonce cookies can be
            // SameSite=Lax and work on plain http on loopback too (form_post would need SameSite=None; Secure).
            o.ResponseMode = "query";
            o.CorrelationCookie.SameSite = SameSiteMode.Lax;
            o.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.NonceCookie.SameSite = SameSiteMode.Lax;
            o.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.Scope.Clear();
            o.Scope.Add("openid");
            o.Scope.Add("profile");
            o.Scope.Add("email");

            o.MapInboundClaims = false;
            o.SaveTokens = false;
            o.Events.OnTokenValidated = context => MapToPortalUserAsync(context, settings);
            o.Events.OnRemoteFailure = async context =>
            {
                await context.HttpContext.RequestServices.GetRequiredService<AuditLog>().WriteAsync(
                    "", AuthEndpoints.Source(context.HttpContext), "sign-in", "oidc", "failure",
                    new { reason = context.Failure?.Message ?? "unknown" }, CancellationToken.None);
                context.Response.Redirect("/login?error=sso");
                context.HandleResponse();
            };
        });
        return services;
    }

    public static IEndpointRouteBuilder MapOidcSignIn(this IEndpointRouteBuilder endpoints)
    {
        if (endpoints.ServiceProvider.GetRequiredService<OidcSettings>().Enabled)
        {
            endpoints.MapGet(LoginPath, (string? returnUrl) => Results.Challenge(
                    new AuthenticationProperties { RedirectUri = AuthEndpoints.SafeReturnUrl(returnUrl) }, [Scheme]))
                .AllowAnonymous().RequireRateLimiting(Hosting.PortalRateLimits.SignInPolicy).ExcludeFromDescription();
        }

        return endpoints;
    }

    private static async Task MapToPortalUserAsync(TokenValidatedContext context, OidcSettings settings)
    {
        var services = context.HttpContext.RequestServices;
        var users = services.GetRequiredService<UserStore>();
        var audit = services.GetRequiredService<AuditLog>();
        var source = AuthEndpoints.Source(context.HttpContext);
        var ct = context.HttpContext.RequestAborted;
        var claims = context.Principal?.Claims.ToList() ?? [];
        var username = (claims.FirstOrDefault(c => c.Type == settings.UsernameClaim)?.Value ?? "").Trim().ToLowerInvariant();
        if (UserEndpoints.Check(username, PortalRoles.Viewer, null, passwordRequired: false).Count > 0)
        {
            await audit.WriteAsync("", source, "sign-in", "oidc", "failure", new { reason = $"claim {settings.UsernameClaim} is not a valid username" }, ct);
            context.Fail($"The identity provider's {settings.UsernameClaim} is not a valid portal username.");
            return;
        }

        var user = await users.FindAsync(username, ct);
        if (user is null)
        {
            var role = claims.Where(c => c.Type == settings.RoleClaim && PortalRoles.IsValid(c.Value))
                .Select(c => c.Value).OrderByDescending(r => PortalRoles.Rank(r)).FirstOrDefault() ?? settings.DefaultRole;
            var display = claims.FirstOrDefault(c => c.Type == "name")?.Value ?? username;
            var fresh = new PortalUser(username, display, role, "", 0, null, false, DateTimeOffset.UtcNow);
            // A password nobody knows: this person signs in through the provider (an admin may set one later).
            var unusable = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            await users.CreateAsync(username, display[..Math.Min(display.Length, 128)], role,
                services.GetRequiredService<IPasswordHasher<PortalUser>>().HashPassword(fresh, unusable), ct);
            await audit.WriteAsync(username, source, "user.create", username, "success", new { role, via = "oidc" }, ct);
            user = await users.FindAsync(username, ct);
        }

        if (user is null || user.Disabled)
        {
            await audit.WriteAsync(username, source, "sign-in", "oidc", "failure", new { reason = "user disabled" }, ct);
            context.Fail("This portal user is disabled.");
            return;
        }

        context.Principal = SignInService.Principal(user, Scheme);
        await audit.WriteAsync(username, source, "sign-in", "oidc", "success", null, ct);
    }
}
