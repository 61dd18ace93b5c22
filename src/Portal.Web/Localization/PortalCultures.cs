using System.Globalization;
using Microsoft.AspNetCore.Localization;
using Portal.Runbooks.Model;

namespace Portal.Web.Localization;

/// <summary>
/// The portal speaks English and Simplified Chinese. The choice comes from, in order: the
/// language switch (a cookie), then the browser's Accept-Language, where any Chinese variant
/// ("zh", "zh-Hans", "zh-TW") means zh-CN.
/// </summary>
public static class PortalCultures
{
    public static readonly CultureInfo[] Supported = [new(Languages.English), new(Languages.Chinese)];

    /// <summary>The runbook language for the current UI culture.</summary>
    public static string CurrentLanguage => Languages.Normalize(CultureInfo.CurrentUICulture.Name);

    public static IServiceCollection AddPortalLocalization(this IServiceCollection services)
    {
        services.AddLocalization();
        services.Configure<RequestLocalizationOptions>(options =>
        {
            options.DefaultRequestCulture = new RequestCulture(Languages.English);
            options.SupportedCultures = Supported;
            options.SupportedUICultures = Supported;
            options.RequestCultureProviders =
            [
                new CookieRequestCultureProvider(),
                new CustomRequestCultureProvider(FromAcceptLanguage),
            ];
        });
        return services;
    }

    public static IApplicationBuilder UsePortalLocalization(this IApplicationBuilder app) => app.UseRequestLocalization();

    private static Task<ProviderCultureResult?> FromAcceptLanguage(HttpContext context)
    {
        var header = context.Request.GetTypedHeaders().AcceptLanguage;
        var best = header
            .Where(l => l.Quality is null or > 0)
            .OrderByDescending(l => l.Quality ?? 1)
            .Select(l => l.Value.Value)
            .FirstOrDefault(v => v is not null && (v.StartsWith("zh", StringComparison.OrdinalIgnoreCase) || v.StartsWith("en", StringComparison.OrdinalIgnoreCase)));
        return Task.FromResult(best is null ? null : new ProviderCultureResult(Languages.Normalize(best)));
    }
}
