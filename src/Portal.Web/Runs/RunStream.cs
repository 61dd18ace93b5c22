using System.Runtime.CompilerServices;

namespace Portal.Web.Runs;

/// <summary>
/// Reads a run for a viewer: every event after <c>fromSeq</c> exactly once, in order, in batches no
/// more often than a minimum interval (one UI render or hub message per batch). Live events come
/// from the in-memory feed, or through Redis for a run of another instance (<see cref="RedisRunRelay"/>);
/// what neither holds (or a run that ran before a restart) comes from the database.
/// </summary>
public sealed class RunStream(RunRegistry registry, RunStore store, TimeProvider time, RedisRunRelay? relay = null) : IRunEventSource
{
    private const int MaxBatch = 1_000;
    private static readonly TimeSpan NotLivePoll = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Completes after the run's last event. The caller cancels <paramref name="ct"/> to stop
    /// watching earlier (a component being disposed, a hub client going away).
    /// </summary>
    /// <exception cref="KeyNotFoundException">No such run.</exception>
    public async IAsyncEnumerable<IReadOnlyList<RunEvent>> ReadAsync(
        Guid runId, long fromSeq, TimeSpan minInterval, [EnumeratorCancellation] CancellationToken ct)
    {
        // Clamped so last + 1 cannot overflow (a client may send long.MaxValue).
        var last = Math.Clamp(fromSeq, 0, long.MaxValue - 1);
        var lastYield = DateTimeOffset.MinValue;
        RemoteRunWatch? remote = null;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var feed = registry.Find(runId);
                var fromRemote = feed is null && remote is not null ? remote.Feed.ReadAfter(last, MaxBatch) : [];
                var batch = feed is not null && last + 1 >= feed.OldestSeq
                    ? feed.ReadAfter(last, MaxBatch)
                    : fromRemote.Count > 0 ? fromRemote : await store.ReadEventsAsync(runId, last, MaxBatch, ct);

                if (batch.Count > 0)
                {
                    var wait = minInterval - (time.GetUtcNow() - lastYield);
                    if (wait > TimeSpan.Zero && !batch[^1].IsTerminal)
                    {
                        // Coalesce: wait out the interval, then send everything that arrived meanwhile; a run
                        // that ends meanwhile is sent at once (a short probe's result does not wait 100 ms).
                        await WaitIntervalAsync(feed, wait, ct);
                        continue;
                    }

                    lastYield = time.GetUtcNow();
                    last = batch[^1].Seq;
                    yield return batch;
                    if (batch[^1].IsTerminal)
                    {
                        yield break;
                    }

                    continue;
                }

                if (feed is { IsComplete: true } && last >= feed.LastSeq)
                {
                    yield break; // the run ended and the reader is at (or past) its last event
                }

                if (feed is not null)
                {
                    await feed.WaitAsync(last, ct);
                    continue;
                }

                // Not live on this instance: finished (and fully read), unknown, or running elsewhere.
                var run = await store.GetAsync(runId, ct) ?? throw new KeyNotFoundException($"There is no run {runId}.");
                if (run.Status != RunStatus.Running)
                {
                    yield break;
                }

                if (relay is null)
                {
                    await Task.Delay(NotLivePoll, time, ct);
                    continue;
                }

                // Running on another instance: its events arrive through Redis; anything missed is read from the database.
                remote ??= relay.Watch(runId);
                await remote.Feed.WaitAsync(last, NotLivePoll, ct);
            }
        }
        finally
        {
            remote?.Dispose();
        }
    }

    private async Task WaitIntervalAsync(RunFeed? feed, TimeSpan wait, CancellationToken ct)
    {
        if (feed is null || feed.IsComplete)
        {
            await Task.Delay(wait, time, ct);
            return;
        }

        await Task.WhenAny(Task.Delay(wait, time, ct), feed.Completion);
        ct.ThrowIfCancellationRequested();
    }
}
