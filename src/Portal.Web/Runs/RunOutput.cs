using System.Threading.Channels;
using Portal.Probes.Contract;

namespace Portal.Web.Runs;

/// <summary>
/// Turns one run's probe events into stamped, redacted <see cref="RunEvent"/>s for the live feed
/// and the database. Output is limited: the first <see cref="RunnerOptions.HeadLines"/> lines pass,
/// then lines are counted and only the last <see cref="RunnerOptions.TailLines"/> kept, which are
/// emitted at the end after a note that says how many were dropped. Used by one thread at a time.
/// </summary>
internal sealed class RunOutput(Guid runId, RunFeed feed, Redactor redactor, RunnerOptions options)
{
    private readonly Queue<OutputLine> _tail = new();
    private readonly Dictionary<string, string> _findings = new(StringComparer.Ordinal);
    private long _seq;
    private DateTimeOffset _lastDropNotice = DateTimeOffset.MinValue;

    /// <summary>Everything that must be stored, in order; completed by <see cref="Finish"/>.</summary>
    public Channel<RunEvent> Persisted { get; } = Channel.CreateUnbounded<RunEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    public IReadOnlyDictionary<string, string> Findings => _findings;

    public int OutputLines { get; private set; }

    public int DroppedLines { get; private set; }

    public T Add<T>(T e)
        where T : ProbeEvent
    {
        switch (e)
        {
            case OutputLine line when OutputLines < options.HeadLines:
                OutputLines++;
                Emit(Output(line));
                break;
            case OutputLine line:
                KeepInTail(line);
                break;
            case Finding f:
                var value = redactor.Redact(f.Value) ?? "";
                _findings[f.Key] = value;
                Emit(new RunEvent(runId, 0, default, RunEventTypes.Finding, Key: f.Key, Value: value));
                break;
            case Metric m:
                Emit(new RunEvent(runId, 0, default, RunEventTypes.Metric, Key: m.Name, Number: m.Value, Unit: m.Unit));
                break;
            case Verdict v:
                FlushTail();
                Emit(new RunEvent(runId, 0, default, RunEventTypes.Verdict, Text: redactor.Redact(v.Summary), Value: v.Status.ToString().ToLowerInvariant()));
                break;
        }

        return e;
    }

    public void Status(string key, string text) =>
        Emit(new RunEvent(runId, 0, default, RunEventTypes.Status, Text: redactor.Redact(text), Key: key));

    /// <summary>The last event of every run: how it ended. Nothing is emitted after it.</summary>
    public void Finish(string status, string summary)
    {
        FlushTail();
        Emit(new RunEvent(runId, 0, default, RunEventTypes.Status, Text: summary, Key: RunStatus.Finished, Value: status));
        Persisted.Writer.Complete();
    }

    private void KeepInTail(OutputLine line)
    {
        DroppedLines++;
        _tail.Enqueue(line);
        if (_tail.Count > options.TailLines)
        {
            _tail.Dequeue();
        }

        // Say it while it happens (at most once a second), not only at the end.
        var now = DateTimeOffset.UtcNow;
        if (now - _lastDropNotice >= TimeSpan.FromSeconds(1))
        {
            _lastDropNotice = now;
            Status("dropping", $"Output limit of {options.HeadLines} lines reached: {DroppedLines - _tail.Count} lines dropped so far; the last {options.TailLines} will be kept.");
        }
    }

    private void FlushTail()
    {
        // The verdict flushes and so does Finish: only lines kept since the last flush are news (a second
        // "dropped" notice would say "the last 0 lines follow" and hide the real one).
        if (_tail.Count == 0)
        {
            return;
        }

        var dropped = DroppedLines - _tail.Count;
        DroppedLines = dropped;
        Status("dropped", $"{dropped} lines dropped (output limit {options.HeadLines} lines); the last {_tail.Count} lines follow.");
        while (_tail.TryDequeue(out var line))
        {
            OutputLines++;
            Emit(Output(line));
        }
    }

    private RunEvent Output(OutputLine line) => new(runId, 0, default, RunEventTypes.Output,
        Text: redactor.Redact(Truncate(line.Text)), Stream: line.Stream.ToString().ToLowerInvariant());

    private string Truncate(string text) =>
        text.Length <= options.MaxLineLength ? text : string.Concat(text.AsSpan(0, options.MaxLineLength), $"… ({text.Length - options.MaxLineLength} more characters)");

    private void Emit(RunEvent e)
    {
        var stamped = e with { Seq = ++_seq, At = DateTimeOffset.UtcNow };
        feed.Append(stamped);
        Persisted.Writer.TryWrite(stamped);
    }
}
