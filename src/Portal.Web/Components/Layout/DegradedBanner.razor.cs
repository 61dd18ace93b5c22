using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Localization;
using Portal.Web.Auth;
using Portal.Web.Localization;
using Portal.Web.Resilience;

namespace Portal.Web.Components.Layout;

/// <summary>The degraded-mode banner: follows <see cref="PortalDegradedState"/> and re-renders on every change.</summary>
public sealed partial class DegradedBanner : IDisposable
{
    private bool _isAdmin;
    private CultureInfo _culture = CultureInfo.CurrentCulture;
    private CultureInfo _uiCulture = CultureInfo.CurrentUICulture;

    [Inject] public required PortalDegradedState State { get; init; }

    [Inject] public required IStringLocalizer<SharedResource> L { get; init; }

    [CascadingParameter] public Task<AuthenticationState>? Auth { get; set; }

    protected override async Task OnInitializedAsync()
    {
        _culture = CultureInfo.CurrentCulture;
        _uiCulture = CultureInfo.CurrentUICulture;
        State.Changed += OnChanged;
        if (Auth is not null)
        {
            _isAdmin = PortalRoles.Rank((await Auth).User) >= PortalRoles.Rank(PortalRoles.Admin);
        }
    }

    private static string Time(DateTimeOffset at) => at.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>Called on the thread that noticed the change: render on the circuit, in this viewer's language.</summary>
    private void OnChanged() => _ = InvokeAsync(() =>
    {
        CultureInfo.CurrentCulture = _culture;
        CultureInfo.CurrentUICulture = _uiCulture;
        StateHasChanged();
    });

    public void Dispose() => State.Changed -= OnChanged;
}
