using Microsoft.Playwright;
using Portal.Testing;

namespace Portal.Benchmarks.Infrastructure;

/// <summary>Debian's Chromium through Playwright (never a downloaded browser), with the portal's test flags.</summary>
public sealed class BenchBrowser : IAsyncDisposable
{
    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run",
    ];

    // Blazor marks elements it has wired with "_blazorEvents_<n>" (see Portal.BrowserTests BrowserSession):
    // the signal that the circuit has rendered the page interactively.
    private const string HasBlazorHandlers = """
        selector => {
          const element = document.querySelector(selector);
          return !!element && Object.keys(element).some(key => key.startsWith('_blazorEvents_'));
        }
        """;

    private readonly IPlaywright _playwright;

    private BenchBrowser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        Browser = browser;
    }

    public IBrowser Browser { get; }

    public static async Task<BenchBrowser> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = TestEnvironment.Chromium,
            Headless = true,
            Args = ChromiumArgs,
        });
        return new BenchBrowser(playwright, browser);
    }

    /// <summary>Signs in once through the login form; the cookies are reused by every context (storage state).</summary>
    public async Task<string> SignInAsync(Uri baseAddress, string username, string password)
    {
        await using var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseAddress.ToString() });
        var page = await context.NewPageAsync();
        await page.GotoAsync("login");
        await page.Locator("#username").FillAsync(username);
        await page.Locator("#password").FillAsync(password);
        await page.Locator("form[data-testid=login-form] button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/login", StringComparison.Ordinal));
        return await context.StorageStateAsync();
    }

    /// <summary>A new context (own cookies) with one page at <paramref name="path"/>, once <paramref name="interactive"/> is wired to its circuit.</summary>
    public async Task<(IBrowserContext Context, IPage Page)> OpenAsync(Uri baseAddress, string path, string? storageState, string interactive, string? initScript = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString(),
            StorageState = storageState,
            Locale = "en-US",
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        context.SetDefaultTimeout(60_000);
        if (initScript is not null)
        {
            await context.AddInitScriptAsync(initScript);
        }

        var page = await context.NewPageAsync();
        await page.GotoAsync(path.TrimStart('/'), new PageGotoOptions { WaitUntil = WaitUntilState.Load, Timeout = 60_000 });
        await page.WaitForFunctionAsync(HasBlazorHandlers, interactive, new PageWaitForFunctionOptions { PollingInterval = 100, Timeout = 60_000 });
        return (context, page);
    }

    /// <summary>Opens <paramref name="count"/> pages, a few at a time (2 cores: more at once only queues).</summary>
    public async Task<List<(IBrowserContext Context, IPage Page)>> OpenManyAsync(int count, Func<Task<(IBrowserContext, IPage)>> open, int parallel = 4)
    {
        var opened = new (IBrowserContext, IPage)[count];
        using var gate = new SemaphoreSlim(parallel);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                opened[i] = await open();
            }
            finally
            {
                gate.Release();
            }
        }));
        return [.. opened];
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
    }
}
