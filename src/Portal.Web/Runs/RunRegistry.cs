using System.Collections.Concurrent;

namespace Portal.Web.Runs;

/// <summary>
/// The runs this instance is running or recently finished: their live feeds and the switches that
/// cancel them. Finished feeds stay a few minutes for late viewers, then are read from the database.
/// </summary>
public sealed class RunRegistry(RunnerOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<Guid, Entry> _runs = new();

    public RunFeed Open(Guid runId)
    {
        var entry = new Entry(new RunFeed(runId, options.FeedCapacity), new CancellationTokenSource());
        _runs[runId] = entry;
        Sweep();
        return entry.Feed;
    }

    public RunFeed? Find(Guid runId) => _runs.TryGetValue(runId, out var entry) ? entry.Feed : null;

    /// <summary>A token source for the run, linked to <paramref name="stopping"/>; disposed by the caller.</summary>
    public CancellationTokenSource CancellationFor(Guid runId, CancellationToken stopping) =>
        CancellationTokenSource.CreateLinkedTokenSource(_runs[runId].Cancel.Token, stopping);

    public bool Cancel(Guid runId)
    {
        if (!_runs.TryGetValue(runId, out var entry) || entry.Feed.IsComplete)
        {
            return false;
        }

        entry.Cancel.Cancel();
        return true;
    }

    public void CancelAll()
    {
        foreach (var entry in _runs.Values.Where(e => !e.Feed.IsComplete))
        {
            entry.Cancel.Cancel();
        }
    }

    public void Complete(Guid runId)
    {
        if (_runs.TryGetValue(runId, out var entry))
        {
            entry.FinishedAt = time.GetUtcNow();
        }
    }

    private void Sweep()
    {
        var cutoff = time.GetUtcNow() - options.FinishedFeedRetention;
        foreach (var (id, entry) in _runs)
        {
            if (entry.FinishedAt is { } finished && finished < cutoff && _runs.TryRemove(id, out _))
            {
                entry.Cancel.Dispose();
            }
        }
    }

    private sealed class Entry(RunFeed feed, CancellationTokenSource cancel)
    {
        public RunFeed Feed { get; } = feed;

        public CancellationTokenSource Cancel { get; } = cancel;

        public DateTimeOffset? FinishedAt { get; set; }
    }
}
