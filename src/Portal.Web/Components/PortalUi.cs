using MudBlazor.Services;

namespace Portal.Web.Components;

public static class PortalUi
{
    /// <summary>Blazor (Interactive Server everywhere) and MudBlazor.</summary>
    public static IServiceCollection AddPortalUi(this IServiceCollection services)
    {
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        // The layout reads the theme cookie while prerendering.
        services.AddHttpContextAccessor();
        return services;
    }
}
