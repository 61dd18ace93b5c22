using MudBlazor.Services;

namespace Portal.Web.Components;

public static class PortalUi
{
    /// <summary>Blazor (Interactive Server everywhere) and MudBlazor.</summary>
    public static IServiceCollection AddPortalUi(this IServiceCollection services)
    {
        services.AddRazorComponents().AddInteractiveServerComponents();
        // Snackbars bottom-right: top-right would cover the language and theme buttons.
        services.AddMudServices(options => options.SnackbarConfiguration.PositionClass = MudBlazor.Defaults.Classes.Position.BottomRight);
        // The layout reads the theme cookie while prerendering.
        services.AddHttpContextAccessor();
        return services;
    }
}
