using Microsoft.Playwright;

namespace Portal.BrowserTests.Infrastructure;

/// <summary>One test's browser context and page, plus the few helpers every browser test needs.</summary>
public sealed class BrowserSession : IAsyncDisposable
{
    // Blazor's event delegator keeps an element's handlers in an expando property named
    // "_blazorEvents_<n>" (aspnetcore src/Components/Web.JS/src/Rendering/Events/EventDelegator.ts).
    // The prerendered HTML has none; once the circuit has rendered the component interactively, the
    // element has one. Internal to Blazor, but it is the only signal that says "this element now
    // reacts" rather than "the socket is open".
    private const string HasBlazorHandlers = """
        selector => {
          const element = document.querySelector(selector);
          return !!element && Object.keys(element).some(key => key.startsWith('_blazorEvents_'));
        }
        """;

    /// <summary>
    /// Every Content-Security-Policy violation becomes a console error, so any check of any test fails
    /// on one (Chromium's own console report of a violation is not guaranteed for every directive).
    /// </summary>
    public const string ReportCspViolations = """
        document.addEventListener('securitypolicyviolation', e =>
          console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} in ${e.sourceFile || e.documentURI}:${e.lineNumber}`));
        """;

    private readonly List<string> _browserErrors = [];

    public BrowserSession(IBrowserContext context, IPage page)
    {
        Context = context;
        Page = page;
        // Uncaught exceptions and console errors (failed circuit, 404 asset, JS interop failure)
        // fail the next check even when the page still looks right.
        page.PageError += (_, error) => Record($"uncaught: {error}");
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                Record($"console.error: {message.Text}");
            }
        };
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    /// <summary>What the browser reported so far (uncaught errors, console errors, CSP violations).</summary>
    public IReadOnlyList<string> BrowserErrors
    {
        get
        {
            lock (_browserErrors)
            {
                return [.. _browserErrors];
            }
        }
    }

    /// <summary>
    /// Opens a path of the portal and waits until Blazor has taken the page over. Checking the
    /// prerendered HTML instead would race with Blazor replacing it: the runbook page, for one,
    /// briefly drops back to its loading state when the circuit starts.
    /// </summary>
    public async Task GotoAsync(string path)
    {
        var response = await Page.GotoAsync(path.TrimStart('/'), new PageGotoOptions { WaitUntil = WaitUntilState.Load });
        if (response is { Ok: false, Status: not 404 })
        {
            throw new InvalidOperationException($"GET {path} answered {response.Status} {response.StatusText}");
        }

        await WaitForInteractiveAsync();
    }

    /// <summary>Signs in through the login form, as a person would, and waits for the catalog.</summary>
    public async Task SignInAsync(string username, string password)
    {
        await Page.GotoAsync("login", new PageGotoOptions { WaitUntil = WaitUntilState.Load });
        await Page.Locator("#username").FillAsync(username);
        await Page.Locator("#password").FillAsync(password);
        await Page.Locator("form[data-testid=login-form] button[type=submit]").ClickAsync();
        await Page.WaitForURLAsync(url => !url.Contains("/login", StringComparison.Ordinal));
    }

    /// <summary>Reloads the page and waits, like <see cref="GotoAsync"/>, for the new circuit.</summary>
    public async Task ReloadAsync()
    {
        await Page.ReloadAsync(new PageReloadOptions { WaitUntil = WaitUntilState.Load });
        await WaitForInteractiveAsync();
    }

    /// <summary>
    /// Waits until the element at <paramref name="selector"/> (CSS) is wired to the Blazor circuit.
    /// Until then the page is prerendered HTML: typing and clicking do nothing, or are undone when
    /// Blazor takes over. The whole app is one interactive root (Routes), so the default, the theme
    /// toggle in the app bar, stands for every element rendered in the same batch.
    /// </summary>
    public async Task WaitForInteractiveAsync(string selector = "[data-testid=theme-toggle]")
    {
        try
        {
            await Page.WaitForFunctionAsync(HasBlazorHandlers, selector, new PageWaitForFunctionOptions { PollingInterval = 50 });
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException(
                $"'{selector}' never became interactive: the Blazor circuit did not start, or Blazor no longer "
                + "marks elements with _blazorEvents_ (see BrowserSession.HasBlazorHandlers).", ex);
        }
    }

    /// <summary>
    /// Runs <paramref name="checks"/> against the current state and saves a full-page screenshot of
    /// it as .local/test/screenshots/<paramref name="name"/>.png, whether the checks pass or fail:
    /// a failing test leaves a picture of what it saw.
    /// </summary>
    public async Task CheckAsync(string name, Func<Task> checks)
    {
        try
        {
            await checks();
            ExpectNoBrowserErrors();
        }
        catch
        {
            await TryScreenshotAsync(Screenshots.TestPath(name), fullPage: true);
            throw;
        }

        await ScreenshotAsync(Screenshots.TestPath(name), fullPage: true);
    }

    /// <summary>The visible viewport only (the README pictures), not the whole page.</summary>
    public Task SaveViewportAsync(string path) => ScreenshotAsync(path, fullPage: false);

    /// <summary>How far the page reaches past the viewport sideways (1 px slack for sub-pixel rounding).</summary>
    public async Task<HorizontalOverflow> MeasureHorizontalOverflowAsync() =>
        await Page.EvaluateAsync<HorizontalOverflow>("""
            () => {
              const root = document.documentElement;
              const limit = root.clientWidth + 1;
              const culprits = [...document.body.querySelectorAll('*')]
                .filter(e => e.getBoundingClientRect().right > limit)
                .slice(0, 5)
                .map(e => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} right=${Math.round(e.getBoundingClientRect().right)}`);
              return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, culprits };
            }
            """);

    private void ExpectNoBrowserErrors()
    {
        lock (_browserErrors)
        {
            if (_browserErrors.Count > 0)
            {
                throw new InvalidOperationException($"The browser reported errors:{Environment.NewLine}{string.Join(Environment.NewLine, _browserErrors)}");
            }
        }
    }

    private void Record(string error)
    {
        lock (_browserErrors)
        {
            _browserErrors.Add(error);
        }
    }

    private async Task ScreenshotAsync(string path, bool fullPage)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = fullPage, Animations = ScreenshotAnimations.Disabled });
    }

    private async Task TryScreenshotAsync(string path, bool fullPage)
    {
        try
        {
            await ScreenshotAsync(path, fullPage);
        }
        catch (PlaywrightException)
        {
            // The page is gone (crash, closed context): the original failure is what matters.
        }
    }

    public async ValueTask DisposeAsync() => await Context.DisposeAsync();
}

/// <summary>document.documentElement's widths and the first elements wider than the viewport.</summary>
public sealed class HorizontalOverflow
{
    // Settable: Playwright fills the result of page.evaluate in through a parameterless constructor.
    public int ScrollWidth { get; set; }

    public int ClientWidth { get; set; }

    public string[] Culprits { get; set; } = [];

    public bool Scrolls => ScrollWidth > ClientWidth + 1;

    public override string ToString() =>
        $"scrollWidth {ScrollWidth} > clientWidth {ClientWidth}; widest: {string.Join(", ", Culprits)}";
}
