using Microsoft.AspNetCore.Localization;
using Portal.Runbooks.Model;

namespace Portal.Web.Localization;

public static class CultureEndpoints
{

    /// <summary>
    /// GET /culture/set?culture=en&amp;redirectUri=/runbooks/tls remembers the language in a cookie
    /// and goes back. A Blazor circuit keeps the culture it started with, so the switch reloads.
    /// </summary>
    public static IEndpointRouteBuilder MapCultureEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/culture/set", (string? culture, string? redirectUri, HttpContext context) =>
        {
            var language = Languages.Normalize(culture);
            context.Response.Cookies.Append(
                CookieRequestCultureProvider.DefaultCookieName,
                CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(language)),
                new CookieOptions { MaxAge = TimeSpan.FromDays(365), IsEssential = true, SameSite = SameSiteMode.Lax, HttpOnly = true });
            // Only local paths: the switch must not become an open redirect.
            var target = redirectUri is { Length: > 0 } && redirectUri.StartsWith('/') && !redirectUri.StartsWith("//", StringComparison.Ordinal)
                         && !redirectUri.StartsWith("/\\", StringComparison.Ordinal)
                ? redirectUri
                : "/";
            return Results.LocalRedirect(target);
        }).ExcludeFromDescription().AllowAnonymous();
        return endpoints;
    }
}
