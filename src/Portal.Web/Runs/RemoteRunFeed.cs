namespace Portal.Web.Runs;

/// <summary>
/// The events of a run that runs on another portal instance, as they arrive through Redis: a bounded
/// window by sequence number. It may start anywhere (a viewer arrives mid-run) and may miss events (Redis
/// was away); <see cref="RunStream"/> reads what it lacks from PostgreSQL.
/// </summary>
public sealed class RemoteRunFeed(Guid runId, int capacity)
{
    private readonly SortedList<long, RunEvent> _events = [];
    private readonly Lock _gate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Guid RunId { get; } = runId;

    internal void Add(IReadOnlyList<RunEvent> events)
    {
        TaskCompletionSource signal;
        lock (_gate)
        {
            foreach (var e in events)
            {
                _events[e.Seq] = e;
            }

            while (_events.Count > capacity)
            {
                _events.RemoveAt(0);
            }

            signal = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        signal.TrySetResult();
    }

    /// <summary>Contiguous events from <paramref name="afterSeq"/> + 1, at most <paramref name="max"/>; empty when that one has not arrived.</summary>
    public IReadOnlyList<RunEvent> ReadAfter(long afterSeq, int max)
    {
        lock (_gate)
        {
            var result = new List<RunEvent>();
            var next = afterSeq + 1;
            while (result.Count < max && _events.TryGetValue(next, out var e))
            {
                result.Add(e);
                next++;
            }

            return result;
        }
    }

    /// <summary>Completes when new events arrive, or after <paramref name="timeout"/> (then the caller looks in the database).</summary>
    public async Task WaitAsync(long afterSeq, TimeSpan timeout, CancellationToken ct)
    {
        Task changed;
        lock (_gate)
        {
            if (_events.ContainsKey(afterSeq + 1))
            {
                return;
            }

            changed = _changed.Task;
        }

        await Task.WhenAny(changed, Task.Delay(timeout, ct));
        ct.ThrowIfCancellationRequested();
    }
}

/// <summary>One viewer's hold on a <see cref="RemoteRunFeed"/>; the Redis subscription ends with the last one.</summary>
public sealed class RemoteRunWatch(RemoteRunFeed feed, Action release) : IDisposable
{
    private Action? _release = release;

    public RemoteRunFeed Feed { get; } = feed;

    public void Dispose() => Interlocked.Exchange(ref _release, null)?.Invoke();
}
