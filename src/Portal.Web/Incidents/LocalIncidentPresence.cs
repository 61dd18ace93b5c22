using System.Collections.Concurrent;

namespace Portal.Web.Incidents;

/// <summary>
/// <see cref="IIncidentPresence"/> for one portal instance: each open incident page (a circuit) joins while it is
/// shown. A circuit that goes away disposes its page, so closing a tab leaves at once (Blazor sends a beacon on
/// unload) and a dropped connection leaves when the circuit is given up.
/// </summary>
public sealed class LocalIncidentPresence(TimeProvider time, ILogger<LocalIncidentPresence> logger) : IIncidentPresence
{
    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<object, IncidentViewer>> _viewers = new();
    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<object, Action>> _subscribers = new();

    public IDisposable Join(Guid incidentId, string user, bool canDrive)
    {
        var key = new object();
        _viewers.GetOrAdd(incidentId, _ => new()).TryAdd(key, new IncidentViewer(user, canDrive, time.GetUtcNow()));
        Notify(incidentId);
        return new Lease(() =>
        {
            if (_viewers.TryGetValue(incidentId, out var set) && set.TryRemove(key, out _))
            {
                Notify(incidentId);
            }
        });
    }

    public IReadOnlyList<IncidentViewer> Viewers(Guid incidentId) =>
        _viewers.TryGetValue(incidentId, out var set)
            ? [.. set.Values
                .GroupBy(v => v.User, StringComparer.Ordinal)
                .Select(g => g.OrderBy(v => v.Since).First() with { CanDrive = g.Any(v => v.CanDrive) })
                .OrderBy(v => v.Since).ThenBy(v => v.User, StringComparer.Ordinal)]
            : [];

    public IDisposable Subscribe(Guid incidentId, Action changed)
    {
        var key = new object();
        _subscribers.GetOrAdd(incidentId, _ => new()).TryAdd(key, changed);
        return new Lease(() =>
        {
            if (_subscribers.TryGetValue(incidentId, out var set))
            {
                set.TryRemove(key, out _);
            }
        });
    }

    private void Notify(Guid incidentId)
    {
        if (!_subscribers.TryGetValue(incidentId, out var set))
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
                logger.LogWarning(ex, "A presence subscriber of {IncidentId} threw", incidentId);
            }
        }
    }

    private sealed class Lease(Action dispose) : IDisposable
    {
        private Action? _dispose = dispose;

        public void Dispose() => Interlocked.Exchange(ref _dispose, null)?.Invoke();
    }
}
