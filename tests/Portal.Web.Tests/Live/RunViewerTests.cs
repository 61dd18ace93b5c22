using Portal.Web.Components.Live;

namespace Portal.Web.Tests.Live;

public sealed class RunViewerTests : RunViewerTestContext
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(5);
    private readonly Guid _run = Guid.CreateVersion7();

    private IRenderedComponent<RunViewer> RenderViewer(Action<RunView>? onFinished = null) =>
        Render<RunViewer>(p =>
        {
            p.Add(v => v.RunId, _run).Add(v => v.Title, "tcp.connect → test/box");
            if (onFinished is not null)
            {
                p.Add(v => v.OnFinished, onFinished);
            }
        });

    private static string[] Lines(IRenderedComponent<RunViewer> cut) =>
        [.. cut.FindAll("[data-testid=run-output] .portal-line").Select(l => l.TextContent)];

    private static string Status(IRenderedComponent<RunViewer> cut) => cut.Find("[data-testid=run-status]").GetAttribute("data-status")!;

    [Fact]
    public async Task Reading_BatchesArrive_LinesAppearBatchByBatch()
    {
        UseCulture("en");
        var cut = RenderViewer();

        Assert.Equal("running", Status(cut));
        Assert.Contains("Connecting to the run", cut.Find("[data-testid=run-output]").TextContent, StringComparison.Ordinal);

        Feed.Write(_run, Ev.Started(), Ev.Line("Resolving 127.0.0.1…", "info"));
        await cut.WaitForAssertionAsync(() => Assert.Equal(["Resolving 127.0.0.1…"], Lines(cut)), Soon);
        var read = Assert.Single(Feed.Reads);
        Assert.Equal((_run, 0L, TimeSpan.FromMilliseconds(100)), (read.RunId, read.FromSeq, read.MinInterval));
        Assert.Contains("portal-line-info", cut.Find(".portal-line").ClassName, StringComparison.Ordinal);

        Feed.Write(_run, Ev.Line("127.0.0.1:5432 connected in 1 ms"), Ev.Line("second"));
        await cut.WaitForAssertionAsync(() => Assert.Equal(["Resolving 127.0.0.1…", "127.0.0.1:5432 connected in 1 ms", "second"], Lines(cut)), Soon);
        Assert.Equal("running", Status(cut));
        Assert.Equal("running", cut.Find("[data-testid=run-viewer]").GetAttribute("data-status"));
        Assert.NotNull(cut.Find("[data-testid=run-stop]"));
        Assert.Empty(cut.FindAll("[data-testid=run-next]"));
        Assert.Equal($"/api/runs/{_run}/output.txt", cut.Find("[data-testid=run-download]").GetAttribute("href"));
    }

    [Fact]
    public async Task Reading_RunPasses_ChipSaysPassedWhatNextShowsAndOnFinishedFiresOnce()
    {
        UseCulture("en");
        var finished = new List<string>();
        var cut = RenderViewer(v => finished.Add(v.Status));

        Feed.Write(_run, Ev.Started(), Ev.Line("ok"));
        await cut.WaitForAssertionAsync(() => Assert.Single(Lines(cut)), Soon);
        Assert.Contains("Running", cut.Find("[data-testid=run-status]").TextContent, StringComparison.Ordinal);
        Feed.Write(_run, Ev.Verdict("pass", "127.0.0.1:5432 accepts connections."), Ev.Finished("pass", "127.0.0.1:5432 accepts connections."));

        await cut.WaitForAssertionAsync(() => Assert.Equal("pass", Status(cut)), Soon);
        Assert.Contains("Passed", cut.Find("[data-testid=run-status]").TextContent, StringComparison.Ordinal);
        Assert.Equal("pass", cut.Find("[data-testid=run-viewer]").GetAttribute("data-status"));
        Assert.Equal("127.0.0.1:5432 accepts connections.", cut.Find("[data-testid=run-summary]").TextContent.Trim());
        Assert.Equal("The check passed. Continue with the next step.", cut.Find("[data-testid=run-next]").TextContent.Trim());
        Assert.Empty(cut.FindAll("[data-testid=run-stop]"));
        await cut.WaitForAssertionAsync(() => Assert.Equal(["pass"], finished), Soon);
    }

    [Fact]
    public async Task Reading_RunFails_ShowsFailChipFindingsAndMetrics()
    {
        UseCulture("en");
        var cut = RenderViewer();

        Feed.Write(_run,
            Ev.Started(),
            Ev.Metric("dns_ms", 0.4321, "ms"),
            Ev.Line("127.0.0.1:1 refused after 0.3 ms", "stderr"),
            Ev.Finding("tcp.connected", "0"),
            Ev.Finding("tcp.error", "refused"),
            Ev.Verdict("fail", "127.0.0.1:1 refused."),
            Ev.Finished("fail", "127.0.0.1:1 refused."));

        await cut.WaitForAssertionAsync(() => Assert.Equal("fail", Status(cut)), Soon);
        Assert.Contains("Failed", cut.Find("[data-testid=run-status]").TextContent, StringComparison.Ordinal);
        var rows = cut.FindAll("[data-testid=run-findings] tr").Select(r => r.QuerySelectorAll("td").Select(c => c.TextContent).ToArray()).ToArray();
        Assert.Equal([["tcp.connected", "0"], ["tcp.error", "refused"]], rows);
        Assert.Equal("dns_ms 0.43 ms", cut.Find("[data-testid=run-metrics] .mud-chip").TextContent.Trim());
        Assert.Contains("portal-line-stderr", cut.Find(".portal-line").ClassName, StringComparison.Ordinal);
        Assert.StartsWith("The check failed", cut.Find("[data-testid=run-next]").TextContent.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reading_InChinese_StatusAndWhatNextAreTranslated()
    {
        UseCulture("zh-CN");
        var cut = RenderViewer();
        Assert.Contains("运行中", cut.Find("[data-testid=run-status]").TextContent, StringComparison.Ordinal);

        Feed.Write(_run, Ev.Finished("timeout", "Stopped at the time limit of 15 s."));

        await cut.WaitForAssertionAsync(() => Assert.Equal("timeout", Status(cut)), Soon);
        Assert.Contains("已超时", cut.Find("[data-testid=run-status]").TextContent, StringComparison.Ordinal);
        Assert.Equal("在时限内没有响应：目标可能过载或不可达。", cut.Find("[data-testid=run-next]").TextContent.Trim());
    }

    [Fact]
    public async Task Reading_DroppingNotice_ShowsWhileRunningAndGoesAwayAtTheEnd_TheDroppedCountStays()
    {
        UseCulture("en");
        var cut = RenderViewer();

        Feed.Write(_run, Ev.Started(), Ev.Dropping("Output is coming faster than it can be kept; lines are being dropped."));
        await cut.WaitForAssertionAsync(() => Assert.Contains("being dropped", cut.Find("[data-testid=run-notice]").TextContent, StringComparison.Ordinal), Soon);

        Feed.Write(_run, Ev.Dropped("8000 lines dropped (output limit 20000 lines); the last 2000 lines follow."), Ev.Finished("pass", "done"));
        await cut.WaitForAssertionAsync(() => Assert.Equal("pass", Status(cut)), Soon);
        Assert.Empty(cut.FindAll("[data-testid=run-notice]"));
        Assert.Contains("8000 lines dropped", cut.Find("[data-testid=run-dropped]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reading_MoreLinesThanTheBound_KeepsTheNewestAndSaysHowManyAreHidden()
    {
        UseCulture("en");
        var cut = RenderViewer();

        for (var b = 0; b < 12; b++)
        {
            Feed.Write(_run, [.. Enumerable.Range(b * 1000, 1000).Select(i => Ev.Line($"line {i + 1}"))]);
        }

        await cut.WaitForAssertionAsync(() => Assert.Equal(
            "2000 earlier lines are not shown here; download the output to see everything.",
            cut.Find("[data-testid=run-viewer] .mud-typography-caption").TextContent.Trim()), Soon);
        // Virtualize renders only what fits (no layout in bUnit), starting at the oldest line kept.
        Assert.Equal("line 2001", Lines(cut)[0]);
    }

    [Fact]
    public async Task Dispose_WhileWaitingForABatch_CancelsTheReader()
    {
        UseCulture("en");
        var cut = RenderViewer();
        Feed.Write(_run, Ev.Started(), Ev.Line("still running"));
        await cut.WaitForAssertionAsync(() => Assert.Single(Lines(cut)), Soon);
        Assert.Equal(1, Feed.ActiveReaders);

        await DisposeComponentsAsync();

        await Feed.ReaderCancelled.WaitAsync(Soon);
        Assert.Equal(0, Feed.ActiveReaders);
    }

    [Fact]
    public async Task Reading_ErrorDuringRead_ShowsTheStreamErrorAlert()
    {
        UseCulture("en");
        var cut = RenderViewer();
        Feed.Write(_run, Ev.Started(), Ev.Line("before the error"));

        Feed.Fail(_run, new InvalidOperationException("the database went away"));

        await cut.WaitForAssertionAsync(() => Assert.Equal(
            "Live output stopped: the database went away. Reload the page to try again.",
            cut.Find("[data-testid=run-stream-error]").TextContent.Trim()), Soon);
        Assert.Equal(["before the error"], Lines(cut));
        Assert.Equal("running", Status(cut));
    }

    [Fact]
    public async Task Reading_UnknownRun_SaysThereIsNoSuchRun()
    {
        UseCulture("en");
        var cut = RenderViewer();

        Feed.Fail(_run, new KeyNotFoundException($"There is no run {_run}."));

        await cut.WaitForAssertionAsync(() => Assert.Contains(
            $"There is no run {_run}.", cut.Find("[data-testid=run-stream-error]").TextContent, StringComparison.Ordinal), Soon);
    }

    [Fact]
    public async Task Stop_WhileRunning_CancelsTheRunAndDisablesTheButton()
    {
        UseCulture("en");
        Registry.Open(_run);
        var cut = RenderViewer();
        Feed.Write(_run, Ev.Started(), Ev.Line("working"));
        await cut.WaitForAssertionAsync(() => Assert.Single(Lines(cut)), Soon);

        await cut.Find("[data-testid=run-stop]").ClickAsync(new());

        using var cancel = Registry.CancellationFor(_run, CancellationToken.None);
        Assert.True(cancel.IsCancellationRequested);
        Assert.True(cut.Find("[data-testid=run-stop]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task Stop_NotTheDriver_NoStopButtonButCopyAndDownload()
    {
        UseCulture("en");
        Registry.Open(_run);
        var cut = Render<RunViewer>(p => p.Add(v => v.RunId, _run).Add(v => v.CanStop, false));
        Feed.Write(_run, Ev.Started(), Ev.Line("working"));
        await cut.WaitForAssertionAsync(() => Assert.Single(Lines(cut)), Soon);

        Assert.Equal("running", Status(cut));
        Assert.Empty(cut.FindAll("[data-testid=run-stop]"));
        Assert.NotNull(cut.Find("[data-testid=run-copy]"));
        Assert.NotNull(cut.Find("[data-testid=run-download]"));
    }

    /// <summary>
    /// ProbesPage renders one RunViewer and changes its RunId when a second run starts. The viewer
    /// must then show the new run only, whatever the first run still sends.
    /// </summary>
    [Fact]
    public async Task RunIdChanges_OldRunKeepsSending_OnlyTheNewRunIsShown()
    {
        UseCulture("en");
        var cut = RenderViewer();
        Feed.Write(_run, Ev.Started(), Ev.Line("first run"));
        await cut.WaitForAssertionAsync(() => Assert.Equal(["first run"], Lines(cut)), Soon);

        var second = Guid.CreateVersion7();
        cut.Render(p => p.Add(v => v.RunId, second));
        Feed.Write(second, Ev.Started(), Ev.Line("second run"));
        await cut.WaitForAssertionAsync(() => Assert.Equal(["second run"], Lines(cut)), Soon);

        Feed.Write(_run, Ev.Line("late line of the first run"), Ev.Finished("fail", "first run failed"));
        Feed.Write(second, Ev.Line("second run, more"));
        await cut.WaitForAssertionAsync(() => Assert.Equal(["second run", "second run, more"], Lines(cut)), Soon);
        Assert.Equal("running", Status(cut));
        Assert.Equal(1, Feed.ActiveReaders); // the first run's reader was stopped
    }
}
