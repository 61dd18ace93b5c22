using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Portal.BrowserTests.Infrastructure;
using Portal.Runbooks.Model;
using Portal.Runbooks.Storage;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Portal.BrowserTests;

/// <summary>
/// A walkthrough step whose probe prints 10,000 lines a second for four seconds: the wizard keeps answering
/// while it streams (batched, virtualized, bounded per circuit), and says how many lines it dropped.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class FloodOutputTests(IsolatedPortalFixture isolated, ITestOutputHelper output) : IClassFixture<IsolatedPortalFixture>
{
    // Its own portal and database: the flood runbook it saves must not show in the other tests' catalog.
    private readonly PortalBrowserFixture _fixture = isolated.Portal;

    private const int PerSecond = 10_000;
    private const int Seconds = 4;

    /// <summary>Long tasks (main thread busy > 50 ms) from the moment the page starts.</summary>
    private const string ObserveLongTasks = """
        window.__longTasks = [];
        new PerformanceObserver(list => { for (const e of list.getEntries()) window.__longTasks.push(e.duration); })
          .observe({ type: 'longtask', buffered: true });
        """;

    /// <summary>
    /// One interaction that needs the server: type into the note field (bound on every keystroke) and wait until
    /// the circuit has rendered the answer (the add button enabled), then clear it again. Returns both times in ms.
    /// </summary>
    private const string RoundTrip = """
        async text => {
          const input = document.querySelector('textarea[data-testid=walk-note-text], input[data-testid=walk-note-text]');
          const button = document.querySelector('button[data-testid=walk-note-add]');
          const until = (ready) => new Promise(resolve => {
            if (ready()) { resolve(); return; }
            const observer = new MutationObserver(() => { if (ready()) { observer.disconnect(); resolve(); } });
            observer.observe(button, { attributes: true });
          });
          const type = async (value, ready) => {
            const start = performance.now();
            input.value = value;
            input.dispatchEvent(new Event('input', { bubbles: true }));
            await until(ready);
            return performance.now() - start;
          };
          const on = await type(text, () => !button.disabled);
          const off = await type('', () => button.disabled);
          return [on, off];
        }
        """;

    [Fact]
    public async Task ProbePrinting10000LinesASecond_WizardKeepsAnswering_OutputBounded_DroppedLinesShown()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var env = "flood-" + suffix;
        var slug = "flood-" + suffix;
        await MudUi.PutTargetAsync(_fixture, env, "box", new { role = "flood-host", kind = "host", host = "127.0.0.1", allowLoopback = true });
        await SaveFloodRunbookAsync(slug);
        using var api = _fixture.CreateApiClient();
        using var started = await api.PostAsJsonAsync("/api/incidents", new { runbook = slug, environment = env });
        var url = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("url").GetString()!;

        await using var session = await _fixture.OpenSessionAsync(new() { Locale = "en" });
        var page = session.Page;
        await page.AddInitScriptAsync(ObserveLongTasks);
        await session.GotoAsync(url);
        await Expect(page.GetByTestId("walk-step")).ToHaveAttributeAsync("data-step", "flood");

        await page.GetByTestId("walk-run").ClickAsync();
        var viewer = page.GetByTestId("run-viewer");
        await Expect(page.Locator("[data-testid=run-output] .portal-line").First).ToBeVisibleAsync();
        await page.EvaluateAsync("() => window.__longTasks = []"); // only what happens while it floods

        var roundTrips = new List<double>();
        var renderedLines = new List<int>();
        while (await viewer.GetAttributeAsync("data-status") == "running")
        {
            var times = await page.EvaluateAsync<double[]>(RoundTrip, "still here " + roundTrips.Count);
            roundTrips.AddRange(times);
            renderedLines.Add(await page.Locator("[data-testid=run-output] .portal-line").CountAsync());
        }

        var longTasks = await page.EvaluateAsync<double[]>("() => window.__longTasks");

        // The observer itself works: a 150 ms busy task is reported (else "no long tasks" would prove nothing).
        // In a timer, so it is a task of the page's own event loop (a DevTools evaluation is not reported).
        await page.EvaluateAsync("() => setTimeout(() => { const t = performance.now(); while (performance.now() - t < 150) { } }, 0)");
        await page.WaitForFunctionAsync("() => window.__longTasks.some(d => d >= 140)");
        roundTrips.Sort();
        var median = roundTrips.Count > 0 ? roundTrips[roundTrips.Count / 2] : double.NaN;
        var report = string.Create(CultureInfo.InvariantCulture,
            $"{roundTrips.Count} round trips while flooding: median {median:0} ms, max {roundTrips.LastOrDefault():0} ms; "
            + $"long tasks: {longTasks.Length}, longest {(longTasks.Length > 0 ? longTasks.Max() : 0):0} ms, total {longTasks.Sum():0} ms; "
            + $"lines in the DOM at most {(renderedLines.Count > 0 ? renderedLines.Max() : 0)}");
        output.WriteLine(report);

        await session.CheckAsync("flood-en-finished", async () =>
        {
            await Expect(viewer).ToHaveAttributeAsync("data-status", "pass");
            await Expect(page.GetByTestId("run-dropped")).ToContainTextAsync("18000 lines dropped (output limit 20000 lines); the last 2000 lines follow.");
            await Expect(page.Locator(".portal-jump")).ToBeHiddenAsync(); // still following: nobody scrolled
            await Expect(viewer).ToContainTextAsync("earlier lines are not shown here");
            // Following the output: the newest line is on screen.
            await Expect(page.Locator("[data-testid=run-output] .portal-line").Filter(new() { HasText = $"flood line {PerSecond * Seconds} of" })).ToBeVisibleAsync();
            Assert.InRange(await page.Locator("[data-testid=run-output] .portal-line").CountAsync(), 1, 300);
        });

        // The page answered throughout (many interactions, none stuck behind the stream), never froze, and never
        // held more than a screenful of lines in the DOM. On a quiet machine: median ~20 ms, max ~250 ms, longest
        // long task < 150 ms. The bounds leave room for a CI box shared by many (load average 90 on 2 cores
        // gave median 168 ms, max 525 ms, longest task 410 ms), yet a page that froze or rendered every line fails.
        Assert.True(roundTrips.Count >= 8, report);
        Assert.True(median < 500, report);
        Assert.True(roundTrips[^1] < 3_000, report);
        Assert.True(longTasks.Length == 0 || longTasks.Max() < 1_000, report);
        Assert.True(longTasks.Sum() < Seconds * 1000 / 2, report);
        Assert.True(renderedLines.Max() < 300, report);
    }

    private async Task SaveFloodRunbookAsync(string slug)
    {
        var content = new RunbookContent
        {
            Category = "common",
            Title = LocalizedText.Of("大量输出", "A flood of output"),
            Steps =
            [
                new RunbookStep
                {
                    Id = "flood", Kind = StepKind.Probe, Title = LocalizedText.Of("大量输出", "Print a lot"),
                    Probe = new ProbeCall
                    {
                        Kind = FloodProbe.Kind, Target = "flood-host",
                        Parameters = new() { ["per_second"] = PerSecond.ToString(CultureInfo.InvariantCulture), ["seconds"] = Seconds.ToString(CultureInfo.InvariantCulture) },
                    },
                    Rules = [new BranchRule { When = "verdict == pass", Goto = "solution:done", Reason = LocalizedText.Of("完成", "done") }],
                },
            ],
            Solutions = [new RunbookSolution { Id = "done", Title = LocalizedText.Of("完成", "Done") }],
        };
        await _fixture.Services.GetRequiredService<RunbookStore>().SaveAsync(slug, content, 0, "test", "", VersionSources.User);
    }
}
