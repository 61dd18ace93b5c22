using Portal.Web.Components.Live;
using Portal.Web.Runs;

namespace Portal.Web.Tests.Live;

public sealed class RunViewTests
{
    private static readonly Guid Run = Guid.CreateVersion7();

    private static RunEvent Line(long seq) => Ev.Line($"line {seq}")(Run, seq);

    [Fact]
    public void Apply_12000Lines_Keeps10000NewestAndCountsTheRest()
    {
        var view = new RunView();

        for (var b = 0; b < 12; b++)
        {
            view.Apply([.. Enumerable.Range(b * 1000 + 1, 1000).Select(i => Line(i))]);
        }

        Assert.Equal(RunView.DefaultMaxLines, view.Lines.Count);
        Assert.Equal(2000, view.HiddenLines);
        Assert.Equal("line 2001", view.Lines[0].Text);
        Assert.Equal("line 12000", view.Lines[^1].Text);
        Assert.Equal(12000, view.LastSeq);
    }

    [Fact]
    public void Apply_OneBatchLargerThanTheBound_TrimsInOneGo()
    {
        var view = new RunView(maxLines: 100);

        view.Apply([.. Enumerable.Range(1, 12_000).Select(i => Line(i))]);

        Assert.Equal(100, view.Lines.Count);
        Assert.Equal(11_900, view.HiddenLines);
        Assert.Equal("line 11901", view.Lines[0].Text);
    }

    [Fact]
    public void Apply_OverlappingBatch_IgnoresEventsAlreadySeen()
    {
        var view = new RunView();
        view.Apply([Line(1), Line(2), Line(3)]);

        view.Apply([Line(2), Line(3), Line(4)]);

        Assert.Equal(["line 1", "line 2", "line 3", "line 4"], view.Lines.Select(l => l.Text));
    }

    [Fact]
    public void Apply_FindingsMetricsVerdictAndFinish_AreKeptByKeyAndEndTheRun()
    {
        var view = new RunView();
        view.Apply(
        [
            Ev.Started()(Run, 1),
            Ev.Dropping("dropping lines")(Run, 2),
            Ev.Finding("tcp.error", "timeout")(Run, 3),
            Ev.Finding("tcp.error", "refused")(Run, 4),
            Ev.Metric("connect_ms", 1.5, "ms")(Run, 5),
        ]);
        Assert.False(view.IsFinished);
        Assert.Equal("dropping lines", view.Notice);

        view.Apply([Ev.Verdict("fail", "refused")(Run, 6), Ev.Finished("fail", "127.0.0.1:1 refused.")(Run, 7)]);

        Assert.True(view.IsFinished);
        Assert.Equal("fail", view.Status);
        Assert.Equal("127.0.0.1:1 refused.", view.Summary);
        Assert.Null(view.Notice);
        Assert.Equal("refused", view.Findings["tcp.error"]);
        Assert.Equal((1.5, "ms"), view.Metrics["connect_ms"]);
        Assert.Empty(view.Lines);
    }

    [Fact]
    public void Apply_NonTerminalStatus_DoesNotEndTheRun()
    {
        var view = new RunView();

        view.Apply([Ev.Started()(Run, 1)]);

        Assert.Equal(RunStatus.Running, view.Status);
        Assert.False(view.IsFinished);
    }

    [Fact]
    public void Apply_DroppedCountBeforeTheEnd_StaysAfterTheRunEnds()
    {
        var view = new RunView();
        view.Apply(
        [
            Ev.Started()(Run, 1),
            Ev.Dropping("Output limit reached: 10 lines dropped so far")(Run, 2),
            Ev.Dropped("78000 lines dropped (output limit 20000 lines); the last 2000 lines follow.")(Run, 3),
            Ev.Finished("pass", "printed 100000 lines")(Run, 4),
        ]);

        Assert.True(view.IsFinished);
        Assert.Equal("78000 lines dropped (output limit 20000 lines); the last 2000 lines follow.", view.Dropped);
        Assert.Null(view.Notice);
    }
}
