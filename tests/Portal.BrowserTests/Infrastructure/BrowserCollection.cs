using Xunit;

namespace Portal.BrowserTests.Infrastructure;

/// <summary>Every browser test shares one portal and one Chromium; the tests run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<PortalBrowserFixture>
{
    public const string Name = "Browser";
}
