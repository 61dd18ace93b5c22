using System.Security.Cryptography;

namespace Portal.Web.Hosting;

/// <summary>
/// Security headers on every response, and HTTPS where the configuration asks for it
/// (Portal:RequireHttps; off by default because scripts/run.sh serves plain http on loopback).
/// </summary>
/// <remarks>
/// The Content-Security-Policy allows scripts from the portal itself only, plus the one inline
/// script Blazor renders (the import map of fingerprinted assets), by a per-request nonce that
/// App.razor passes to &lt;ImportMap&gt;. Blazor Server needs neither 'unsafe-eval' nor
/// 'wasm-unsafe-eval'; MudBlazor sets inline styles, hence style-src 'unsafe-inline'; SignalR
/// needs ws:/wss: in connect-src.
/// </remarks>
public static class SecurityHeaders
{
    private const string NonceKey = "Portal.CspNonce";

    /// <summary>The script nonce of this response, for the import map (and any future inline script).</summary>
    public static string CspNonce(this HttpContext http) =>
        http.Items[NonceKey] as string ?? throw new InvalidOperationException("UsePortalSecurityHeaders is not in the pipeline.");

    public static string ContentSecurityPolicy(string nonce) =>
        "default-src 'self'; " +
        $"script-src 'self' 'nonce-{nonce}'; " +
        "style-src 'self' 'unsafe-inline'; " +
        "img-src 'self' data:; " +
        "font-src 'self' data:; " +
        "connect-src 'self' ws: wss:; " +
        "object-src 'none'; " +
        "frame-ancestors 'none'; " +
        "base-uri 'self'; " +
        "form-action 'self'";

    public static IServiceCollection AddPortalHttps(this IServiceCollection services, IConfiguration configuration)
    {
        if (RequireHttps(configuration))
        {
            services.AddHsts(o =>
            {
                o.MaxAge = TimeSpan.FromDays(365);
                o.IncludeSubDomains = false;
            });
        }

        return services;
    }

    /// <summary>Headers on every response; HTTPS redirection and HSTS outside Development when Portal:RequireHttps is true.</summary>
    public static WebApplication UsePortalSecurityHeaders(this WebApplication app)
    {
        if (RequireHttps(app.Configuration) && !app.Environment.IsDevelopment())
        {
            app.UseHsts();
            app.UseHttpsRedirection();
        }

        app.Use((http, next) =>
        {
            var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            http.Items[NonceKey] = nonce;
            var headers = http.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy(nonce);
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
            return next(http);
        });
        return app;
    }

    private static bool RequireHttps(IConfiguration configuration) => configuration.GetValue("Portal:RequireHttps", false);
}
