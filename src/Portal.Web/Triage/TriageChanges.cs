using System.Collections.Concurrent;

namespace Portal.Web.Triage;

/// <summary>
/// "Sweep X changed" (a check ended, the sweep finished) for viewers on this instance; the page re-reads when told.
/// Callbacks run on the thread that recorded the change and must not block.
/// </summary>
public sealed class TriageChanges(ILogger<TriageChanges> logger)
{
    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<object, Action>> _subscribers = new();

    public IDisposable Subscribe(Guid sweepId, Action changed)
    {
        var key = new object();
        _subscribers.GetOrAdd(sweepId, _ => new()).TryAdd(key, changed);
        return new Subscription(() =>
        {
            if (_subscribers.TryGetValue(sweepId, out var set))
            {
                set.TryRemove(key, out _);
            }
        });
    }

    internal void Publish(Guid sweepId)
    {
        if (!_subscribers.TryGetValue(sweepId, out var set))
        {
            return;
        }

        foreach (var callback in set.Values)
        {
            try
            {
                callback();
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "A triage subscriber of {SweepId} threw", sweepId);
            }
        }
    }

    private sealed class Subscription(Action dispose) : IDisposable
    {
        private Action? _dispose = dispose;

        public void Dispose() => Interlocked.Exchange(ref _dispose, null)?.Invoke();
    }
}
