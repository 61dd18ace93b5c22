using Xunit;

namespace Portal.BrowserTests.Infrastructure;

/// <summary>
/// A portal and browser of a test class's own, for tests that leave data the shared catalog would
/// show (runbooks cannot be deleted). The class still joins the browser collection, so it never runs
/// beside the other browser tests.
/// </summary>
public sealed class IsolatedPortalFixture : IAsyncLifetime
{
    public PortalBrowserFixture Portal { get; } = new();

    public Task InitializeAsync() => Portal.InitializeAsync();

    public Task DisposeAsync() => Portal.DisposeAsync();
}
