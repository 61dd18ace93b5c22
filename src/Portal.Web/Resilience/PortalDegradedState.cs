namespace Portal.Web.Resilience;

/// <summary>
/// Whether the portal's own PostgreSQL and Redis are reachable, as the watchers last saw them. The one place
/// pages (the banner), the stores (snapshot and journal fallbacks) and metrics read degraded mode from.
/// <see cref="Changed"/> fires on every transition; handlers must not block.
/// </summary>
public sealed class PortalDegradedState(TimeProvider time)
{
    private readonly Lock _gate = new();
    private Outage? _database;
    private Outage? _redis;
    private int _pending;

    /// <summary>A transition happened (database or Redis went down or came back, or the journal length changed).</summary>
    public event Action? Changed;

    /// <summary>Since when and why the database is unreachable; null while it answers.</summary>
    public Outage? Database => _database;

    /// <summary>Since when and why Redis is unreachable; null while it answers (or none is configured).</summary>
    public Outage? Redis => _redis;

    public bool DatabaseDown => _database is not null;

    public bool RedisDown => _redis is not null;

    /// <summary>0 normal, 1 Redis down (single-instance mode), 2 database down (read-only from the snapshot, writes journaled).</summary>
    public int Level => DatabaseDown ? 2 : RedisDown ? 1 : 0;

    /// <summary>Journal entries waiting to be replayed into the database.</summary>
    public int PendingJournalEntries => Volatile.Read(ref _pending);

    public void DatabaseFailed(string reason) => Set(ref _database, reason);

    public void DatabaseRecovered() => Clear(ref _database);

    public void RedisFailed(string reason) => Set(ref _redis, reason);

    public void RedisRecovered() => Clear(ref _redis);

    public void SetPending(int count)
    {
        if (Interlocked.Exchange(ref _pending, count) != count)
        {
            Changed?.Invoke();
        }
    }

    private void Set(ref Outage? slot, string reason)
    {
        lock (_gate)
        {
            if (slot is not null)
            {
                return;
            }

            slot = new Outage(time.GetUtcNow(), reason);
        }

        Changed?.Invoke();
    }

    private void Clear(ref Outage? slot)
    {
        lock (_gate)
        {
            if (slot is null)
            {
                return;
            }

            slot = null;
        }

        Changed?.Invoke();
    }
}

/// <summary>An outage: when it was first seen and the error that said so.</summary>
public sealed record Outage(DateTimeOffset Since, string Reason);
