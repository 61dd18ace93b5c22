using System.Collections.Concurrent;

namespace Portal.Web.Incidents;

/// <summary>
/// "Incident X changed" for viewers on this portal instance (the wizard re-reads the state when told); with
/// Redis, changes recorded on other instances arrive here too (<see cref="IncidentChangeRelay"/>).
/// Callbacks run on the thread that recorded the change and must not block; a component wraps them in InvokeAsync.
/// </summary>
public sealed class IncidentChanges(ILogger<IncidentChanges> logger)
{
    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<object, Action<long>>> _subscribers = new();

    /// <summary>Calls <paramref name="changed"/> with the newest seq after each recorded change; dispose to stop.</summary>
    public IDisposable Subscribe(Guid incidentId, Action<long> changed)
    {
        var key = new object();
        _subscribers.GetOrAdd(incidentId, _ => new()).TryAdd(key, changed);
        return new Subscription(() =>
        {
            if (_subscribers.TryGetValue(incidentId, out var set))
            {
                set.TryRemove(key, out _);
            }
        });
    }

    /// <summary>A change was recorded on this instance (<see cref="IncidentChangeRelay"/> tells the other instances).</summary>
    public event Action<Guid, long>? Recorded;

    internal void Publish(Guid incidentId, long lastSeq)
    {
        Recorded?.Invoke(incidentId, lastSeq);
        Notify(incidentId, lastSeq);
    }

    /// <summary>Tells this instance's viewers only (a change recorded on another instance).</summary>
    internal void Notify(Guid incidentId, long lastSeq)
    {
        if (!_subscribers.TryGetValue(incidentId, out var set))
        {
            return;
        }

        foreach (var callback in set.Values)
        {
            try
            {
                callback(lastSeq);
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "An incident change subscriber of {IncidentId} threw", incidentId);
            }
        }
    }

    private sealed class Subscription(Action dispose) : IDisposable
    {
        private Action? _dispose = dispose;

        public void Dispose() => Interlocked.Exchange(ref _dispose, null)?.Invoke();
    }
}
