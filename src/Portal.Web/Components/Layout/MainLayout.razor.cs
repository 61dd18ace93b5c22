using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using Microsoft.JSInterop;
using Portal.Web.Localization;

namespace Portal.Web.Components.Layout;

public sealed partial class MainLayout : IAsyncDisposable
{
    private const string DarkModeKey = "portal.darkMode";
    private bool _drawerOpen = true;
    private bool _isDarkMode;
    private IJSObjectReference? _preferences;

    [Inject] public required IStringLocalizer<SharedResource> L { get; init; }

    [Inject] public required IJSRuntime Js { get; init; }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender)
        {
            return;
        }

        // The choice lives in the browser (localStorage); without one, follow the OS setting.
        _preferences = await Js.InvokeAsync<IJSObjectReference>("import", "./js/preferences.js");
        var stored = await _preferences.InvokeAsync<string?>("read", DarkModeKey);
        var dark = stored is null ? await _preferences.InvokeAsync<bool>("prefersDark") : stored == "true";
        if (dark != _isDarkMode)
        {
            _isDarkMode = dark;
            StateHasChanged();
        }
    }

    private void ToggleDrawer() => _drawerOpen = !_drawerOpen;

    private async Task ToggleDarkModeAsync()
    {
        _isDarkMode = !_isDarkMode;
        if (_preferences is not null)
        {
            await _preferences.InvokeVoidAsync("write", DarkModeKey, _isDarkMode ? "true" : "false");
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
