using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using Portal.Runbooks;

namespace Portal.Web.Tests;

/// <summary>
/// bUnit context with MudBlazor (loose JS interop, no transitions), localization from the
/// portal's resources, the in-memory catalog, and the UI culture the test asks for.
/// </summary>
public abstract class PortalTestContext : BunitContext, IAsyncLifetime
{
    private readonly CultureInfo _previousCulture = CultureInfo.CurrentUICulture;

    protected PortalTestContext()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices(options => options.SnackbarConfiguration.ShowTransitionDuration = 0);
        Services.AddLocalization();
        Services.AddSingleton<IRunbookCatalog>(Catalog);
        Services.AddSingleton<Portal.Runbooks.Search.IRunbookSearch>(new Portal.Runbooks.Search.InMemoryRunbookSearch(Catalog));
        // Pages hold AuthorizeView sections (start walkthrough); signed out by default, so they render nothing.
        Authorization = AddAuthorization();
    }

    protected InMemoryRunbookCatalog Catalog { get; } = new();

    protected Bunit.TestDoubles.BunitAuthorizationContext Authorization { get; }

    /// <summary>Renders as a browser asking for <paramref name="culture"/> would see it.</summary>
    protected void UseCulture(string culture)
    {
        CultureInfo.CurrentUICulture = new CultureInfo(culture);
        CultureInfo.CurrentCulture = new CultureInfo(culture);
    }

    protected void RenderPopoverProvider() => Render<MudPopoverProvider>();

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>MudBlazor's services are async-disposable only, so the context must be disposed async.</summary>
    async Task IAsyncLifetime.DisposeAsync()
    {
        CultureInfo.CurrentUICulture = _previousCulture;
        CultureInfo.CurrentCulture = _previousCulture;
        await DisposeAsync();
    }
}
