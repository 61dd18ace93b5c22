namespace Portal.Web.Runs;

/// <summary>
/// The live events of one run in a bounded ring (by sequence number). The producer appends and
/// never waits for anyone; each reader pulls what it has not seen yet, so a slow viewer only
/// reads bigger batches and never holds the probe back.
/// </summary>
public sealed class RunFeed(Guid runId, int capacity = RunFeed.DefaultCapacity)
{
    public const int DefaultCapacity = 10_000;

    private readonly RunEvent?[] _ring = new RunEvent?[capacity];
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _completed = NewSignal();
    private TaskCompletionSource _changed = NewSignal();
    private long _lastSeq;

    public Guid RunId { get; } = runId;

    public long LastSeq
    {
        get
        {
            lock (_gate)
            {
                return _lastSeq;
            }
        }
    }

    public bool IsComplete { get; private set; }

    /// <summary>Completes when the run's last event is in the feed.</summary>
    public Task Completion => _completed.Task;

    /// <summary>Oldest sequence number still in the ring; older ones must be read from the database.</summary>
    public long OldestSeq
    {
        get
        {
            lock (_gate)
            {
                return Math.Max(1, _lastSeq - _ring.Length + 1);
            }
        }
    }

    public void Append(RunEvent e)
    {
        TaskCompletionSource signal;
        lock (_gate)
        {
            if (e.Seq != _lastSeq + 1)
            {
                throw new InvalidOperationException($"Run {RunId}: event {e.Seq} after {_lastSeq}; sequence numbers must not skip.");
            }

            _ring[(e.Seq - 1) % _ring.Length] = e;
            _lastSeq = e.Seq;
            IsComplete |= e.IsTerminal;
            signal = _changed;
            _changed = NewSignal();
        }

        signal.TrySetResult();
        if (e.IsTerminal)
        {
            _completed.TrySetResult();
        }
    }

    /// <summary>Events with seq &gt; <paramref name="afterSeq"/> still in the ring, at most <paramref name="max"/>.</summary>
    public IReadOnlyList<RunEvent> ReadAfter(long afterSeq, int max = 1000)
    {
        lock (_gate)
        {
            var from = Math.Max(afterSeq + 1, Math.Max(1, _lastSeq - _ring.Length + 1));
            // Clamped before the cast: a reader far past the end (fromSeq near long.MaxValue) gets nothing,
            // not a truncated count (an array of up to int.MaxValue events).
            var count = (int)Math.Clamp(_lastSeq - from + 1, 0, max);
            var result = new RunEvent[count];
            for (var i = 0; i < result.Length; i++)
            {
                result[i] = _ring[(from + i - 1) % _ring.Length]!;
            }

            return result;
        }
    }

    /// <summary>Completes when an event after <paramref name="afterSeq"/> exists (at once if it already does).</summary>
    public Task WaitAsync(long afterSeq, CancellationToken ct)
    {
        lock (_gate)
        {
            return _lastSeq > afterSeq ? Task.CompletedTask : _changed.Task.WaitAsync(ct);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
