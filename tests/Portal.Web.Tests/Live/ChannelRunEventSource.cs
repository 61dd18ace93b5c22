using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Portal.Web.Runs;

namespace Portal.Web.Tests.Live;

/// <summary>
/// A run feed the test drives: each run is a channel; whatever the test writes is one batch for
/// the viewer. Records who read what and whether the reader's cancellation reached the enumerator.
/// </summary>
public sealed class ChannelRunEventSource : IRunEventSource
{
    private readonly ConcurrentDictionary<Guid, Channel<object>> _runs = new();
    private readonly ConcurrentDictionary<Guid, long> _seq = new();
    private readonly TaskCompletionSource _cancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>(runId, fromSeq, minInterval) of every ReadAsync call, in order.</summary>
    public ConcurrentQueue<(Guid RunId, long FromSeq, TimeSpan MinInterval)> Reads { get; } = new();

    /// <summary>Completes when a reader's token was cancelled while it was waiting for the next batch.</summary>
    public Task ReaderCancelled => _cancelled.Task;

    /// <summary>How many enumerators are between their first MoveNext and their end.</summary>
    public int ActiveReaders => _active;

    private int _active;

    private Channel<object> Run(Guid runId) =>
        _runs.GetOrAdd(runId, _ => Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true }));

    /// <summary>One batch, numbered on from the run's last sequence number.</summary>
    public void Write(Guid runId, params Func<Guid, long, RunEvent>[] events)
    {
        var batch = new List<RunEvent>(events.Length);
        foreach (var make in events)
        {
            batch.Add(make(runId, _seq.AddOrUpdate(runId, 1, (_, s) => s + 1)));
        }

        Assert.True(Run(runId).Writer.TryWrite(batch));
    }

    /// <summary>The next read of the run throws <paramref name="error"/>, as a failing stream would.</summary>
    public void Fail(Guid runId, Exception error) => Assert.True(Run(runId).Writer.TryWrite(error));

    public async IAsyncEnumerable<IReadOnlyList<RunEvent>> ReadAsync(
        Guid runId, long fromSeq, TimeSpan minInterval, [EnumeratorCancellation] CancellationToken ct)
    {
        Reads.Enqueue((runId, fromSeq, minInterval));
        Interlocked.Increment(ref _active);
        try
        {
            var reader = Run(runId).Reader;
            while (true)
            {
                object item;
                try
                {
                    item = await reader.ReadAsync(ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    _cancelled.TrySetResult();
                    throw;
                }

                if (item is Exception error)
                {
                    throw error;
                }

                var batch = (IReadOnlyList<RunEvent>)item;
                yield return batch;
                if (batch[^1].IsTerminal)
                {
                    yield break;
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref _active);
        }
    }
}

/// <summary>Event factories for <see cref="ChannelRunEventSource.Write"/>.</summary>
public static class Ev
{
    private static readonly DateTimeOffset At = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static Func<Guid, long, RunEvent> Line(string text, string stream = "stdout") =>
        (run, seq) => new RunEvent(run, seq, At, RunEventTypes.Output, Text: text, Stream: stream);

    public static Func<Guid, long, RunEvent> Finding(string key, string value) =>
        (run, seq) => new RunEvent(run, seq, At, RunEventTypes.Finding, Key: key, Value: value);

    public static Func<Guid, long, RunEvent> Metric(string name, double value, string unit) =>
        (run, seq) => new RunEvent(run, seq, At, RunEventTypes.Metric, Key: name, Number: value, Unit: unit);

    public static Func<Guid, long, RunEvent> Verdict(string status, string summary) =>
        (run, seq) => new RunEvent(run, seq, At, RunEventTypes.Verdict, Text: summary, Value: status);

    public static Func<Guid, long, RunEvent> Started() =>
        (run, seq) => new RunEvent(run, seq, At, RunEventTypes.Status, Text: "started", Key: "started");

    public static Func<Guid, long, RunEvent> Finished(string status, string summary) =>
        (run, seq) => new RunEvent(run, seq, At, RunEventTypes.Status, Text: summary, Key: RunStatus.Finished, Value: status);

    public static Func<Guid, long, RunEvent> Dropping(string text) =>
        (run, seq) => new RunEvent(run, seq, At, RunEventTypes.Status, Text: text, Key: "dropping");

    public static Func<Guid, long, RunEvent> Dropped(string text) =>
        (run, seq) => new RunEvent(run, seq, At, RunEventTypes.Status, Text: text, Key: "dropped");
}
