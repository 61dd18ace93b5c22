using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Portal.Runbooks;

namespace Portal.Web.Auth;

public static class PortalAuth
{
    /// <summary>Picks cookie or bearer token per request.</summary>
    public const string Scheme = "Portal";

    /// <summary>
    /// Sign-in with a cookie (the login page) or a bearer token (API clients, hub clients); one
    /// policy per role, each role including the ones below it; deny by default: anything without
    /// its own policy needs at least a signed-in viewer.
    /// </summary>
    public static IServiceCollection AddPortalAuth(this IServiceCollection services)
    {
        services.AddSingleton<UserStore>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<ApiTokens>();
        services.AddSingleton<IPasswordHasher<PortalUser>, PasswordHasher<PortalUser>>();
        services.AddSingleton<SignInService>();
        services.AddSingleton<UserAdmin>();
        services.AddSingleton<IDatabaseSeed, FirstAdminSeed>();

        services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "Cookie or bearer token", options =>
                options.ForwardDefaultSelector = context => ApiTokenAuthenticationHandler.TokenFrom(context.Request) is null
                    ? CookieAuthenticationDefaults.AuthenticationScheme
                    : ApiTokenAuthenticationHandler.SchemeName)
            .AddCookie(options =>
            {
                options.LoginPath = "/login";
                options.AccessDeniedPath = "/denied";
                options.Cookie.Name = "portal.auth";
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Lax;
                options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                options.ExpireTimeSpan = TimeSpan.FromHours(12);
                options.SlidingExpiration = true;
                // API and hub callers get status codes, not a login page.
                options.Events.OnRedirectToLogin = context => Answer(context, StatusCodes.Status401Unauthorized);
                options.Events.OnRedirectToAccessDenied = context => Answer(context, StatusCodes.Status403Forbidden);
            })
            .AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenAuthenticationHandler.SchemeName, null);

        services.AddAuthorization(options =>
        {
            foreach (var role in PortalRoles.All)
            {
                var required = PortalRoles.Rank(role);
                options.AddPolicy(role, policy => policy.RequireAuthenticatedUser()
                    .RequireAssertion(context => PortalRoles.Rank(context.User) >= required));
            }

            options.FallbackPolicy = options.GetPolicy(PortalRoles.Viewer);
        });
        services.AddCascadingAuthenticationState();
        return services;
    }

    private static Task Answer(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (context.Request.Path.StartsWithSegments("/api") || context.Request.Path.StartsWithSegments("/hubs")
            || context.Request.Path.StartsWithSegments("/metrics"))
        {
            context.Response.StatusCode = status;
        }
        else
        {
            context.Response.Redirect(context.RedirectUri);
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// No default password: when there is no user at all, the first admin is created from
    /// PORTAL_ADMIN_PASSWORD (scripts/run.sh generates one into .local/run/secrets/).
    /// </summary>
    private sealed class FirstAdminSeed(UserStore users, IPasswordHasher<PortalUser> hasher, IConfiguration configuration,
        AuditLog audit, ILogger<FirstAdminSeed> logger) : IDatabaseSeed
    {
        public async Task SeedAsync(CancellationToken ct)
        {
            if (await users.AnyAsync(ct))
            {
                return;
            }

            var password = configuration["PORTAL_ADMIN_PASSWORD"];
            if (string.IsNullOrEmpty(password))
            {
                logger.LogWarning("No users exist and PORTAL_ADMIN_PASSWORD is not set: nobody can sign in until it is set and the portal restarts");
                return;
            }

            if (password.Length < 12)
            {
                logger.LogError("PORTAL_ADMIN_PASSWORD is shorter than 12 characters; no admin was created");
                return;
            }

            var admin = new PortalUser("admin", "Administrator", PortalRoles.Admin, "", 0, null, false, DateTimeOffset.UtcNow);
            await users.CreateAsync(admin.Username, admin.DisplayName, PortalRoles.Admin, hasher.HashPassword(admin, password), ct);
            await audit.WriteAsync("system", "", "user.create", admin.Username, "success", new { role = PortalRoles.Admin, from = "PORTAL_ADMIN_PASSWORD" }, ct);
            logger.LogInformation("Created the first admin user 'admin' from PORTAL_ADMIN_PASSWORD");
        }
    }
}
