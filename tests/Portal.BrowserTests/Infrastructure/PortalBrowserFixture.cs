using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Portal.Testing;
using Xunit;

namespace Portal.BrowserTests.Infrastructure;

/// <summary>
/// One portal (real Kestrel port, fresh database with the seeded guide) and one headless
/// Chromium for the whole collection. Tests never share a page: each opens its own
/// <see cref="BrowserSession"/> (a new browser context: cookies, localStorage, locale).
/// </summary>
public sealed class PortalBrowserFixture : IAsyncLifetime
{
    /// <summary>Debian's Chromium, never a downloaded one: `playwright install` is not part of the build.</summary>
    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run",
    ];

    // The flood probe lets a test print 10,000 lines a second into a walkthrough; nothing else uses it.
    private readonly PortalHost _portal = new() { ConfigureServices = s => s.AddSingleton<Portal.Probes.Contract.IProbe, FloodProbe>() };
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public Uri BaseAddress => _portal.BaseAddress;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser has not started.");

    /// <summary>An API client signed in as the admin (bearer token), for test setup.</summary>
    public HttpClient CreateApiClient() => _portal.CreateClient();

    public string AdminPassword => _portal.AdminPassword;

    /// <summary>Open tabs one user may have (low, so <c>SecurityBrowserTests</c> can reach it cheaply).</summary>
    public const int CircuitsPerUser = 5;

    /// <summary>Creates a user with <paramref name="role"/>; returns the password.</summary>
    public Task<string> CreateUserAsync(string username, string role) => _portal.CreateUserAsync(username, role);

    /// <summary>The portal's services, for test data the API has no door for (a runbook with a test probe).</summary>
    public IServiceProvider Services => _portal.Services;

    public async Task InitializeAsync()
    {
        // The first page of a fresh host also pays for JIT and the guide import; later ones are quick.
        Assertions.SetDefaultExpectTimeout(15_000);
        _portal.Settings["Portal:Limits:CircuitsPerUser"] = CircuitsPerUser.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // A breaker a test opened stays open while the test looks at it, however slow the machine.
        _portal.Settings["Portal:Resilience:BreakDuration"] = "00:10:00";
        await _portal.InitializeAsync();
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = TestEnvironment.Chromium,
            Headless = true,
            Args = ChromiumArgs,
        });
    }

    /// <summary>A fresh browser context (own cookies and storage) with one page.</summary>
    public async Task<BrowserSession> OpenSessionAsync(BrowserSessionOptions? options = null)
    {
        options ??= new BrowserSessionOptions();
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseAddress.ToString(),
            Locale = options.Locale,
            ViewportSize = new ViewportSize { Width = options.Width, Height = options.Height },
            IsMobile = options.IsMobile,
            HasTouch = options.IsMobile,
            DeviceScaleFactor = options.IsMobile ? 2 : 1,
            // Pin the OS preference: the portal follows prefers-color-scheme until the user picks.
            ColorScheme = ColorScheme.Light,
        });
        await context.AddInitScriptAsync(BrowserSession.ReportCspViolations);
        context.SetDefaultTimeout(20_000);
        context.SetDefaultNavigationTimeout(30_000);
        var page = await context.NewPageAsync();
        var session = new BrowserSession(context, page);
        if (options.SignedIn)
        {
            await session.SignInAsync("admin", AdminPassword);
        }

        return session;
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        await _portal.DisposeAsync();
    }
}

/// <summary>How a test's browser looks to the portal: language (Accept-Language) and screen.</summary>
public sealed record BrowserSessionOptions
{
    public string Locale { get; init; } = "zh-CN";

    public int Width { get; init; } = 1280;

    public int Height { get; init; } = 900;

    public bool IsMobile { get; init; }

    /// <summary>Signed in as the admin through the login page before the test starts (the default).</summary>
    public bool SignedIn { get; init; } = true;

    /// <summary>An iPhone-sized phone (390 x 844 CSS pixels).</summary>
    public static BrowserSessionOptions Phone(string locale) =>
        new() { Locale = locale, Width = 390, Height = 844, IsMobile = true };
}
