using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using Microsoft.JSInterop;
using Portal.Web.Localization;

namespace Portal.Web.Components.Layout;

public sealed partial class MainLayout : IAsyncDisposable
{
    public const string DarkModeCookie = "portal.dark";
    private bool _drawerOpen = true;
    private bool _isDarkMode;
    private IJSObjectReference? _preferences;

    [Inject] public required IStringLocalizer<SharedResource> L { get; init; }

    [Inject] public required IJSRuntime Js { get; init; }

    [Inject] public required IHttpContextAccessor HttpContextAccessor { get; init; }

    [Inject] public required Hosting.CircuitLimiter Circuits { get; init; }

    /// <summary>Set while prerendering when this tab's circuit will be refused (the cap is reached).</summary>
    private int? _tabLimit;

    /// <summary>Read from the cookie while prerendering and carried into the interactive render.</summary>
    [PersistentState]
    public bool? DarkMode { get; set; }

    protected override void OnInitialized()
    {
        if (DarkMode is null && HttpContextAccessor.HttpContext?.Request.Cookies[DarkModeCookie] is { } cookie)
        {
            DarkMode = cookie == "true";
        }

        _isDarkMode = DarkMode ?? false;
        if (!RendererInfo.IsInteractive && HttpContextAccessor.HttpContext?.User.Identity?.Name is { } user
            && Circuits.OpenFor(user) >= Circuits.Limit)
        {
            _tabLimit = Circuits.Limit;
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender)
        {
            return;
        }

        _preferences = await Js.InvokeAsync<IJSObjectReference>("import", "./js/preferences.js");
        if (DarkMode is null)
        {
            // No choice made yet: follow the operating system, and remember it for the next first paint.
            _isDarkMode = await _preferences.InvokeAsync<bool>("prefersDark");
            DarkMode = _isDarkMode;
            await _preferences.InvokeVoidAsync("write", DarkModeCookie, _isDarkMode ? "true" : "false");
            StateHasChanged();
        }
    }

    private void ToggleDrawer() => _drawerOpen = !_drawerOpen;

    private async Task ToggleDarkModeAsync()
    {
        _isDarkMode = !_isDarkMode;
        DarkMode = _isDarkMode;
        if (_preferences is not null)
        {
            await _preferences.InvokeVoidAsync("write", DarkModeCookie, _isDarkMode ? "true" : "false");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_preferences is not null)
        {
            try
            {
                await _preferences.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
                // The circuit is gone; the browser already dropped the module.
            }
        }
    }
}
