using System.Collections.Concurrent;

namespace Portal.Web.Resilience;

/// <summary>
/// Reads that fall back to their last answer (kept in memory only) while the database is down; writes that
/// are refused then with a message that says why and what still works.
/// </summary>
public sealed class DegradedReads(PortalDegradedState state)
{
    public const string ReadOnlyMessage =
        "The portal's database is down, so this cannot be changed now; runbooks and targets are read-only until it is back. " +
        "Walkthroughs, notes and probe runs keep working and are stored when it returns.";

    private readonly ConcurrentDictionary<string, object?> _last = new(StringComparer.Ordinal);

    public async Task<T> ReadAsync<T>(string key, Func<Task<T>> read, CancellationToken ct)
    {
        if (!state.DatabaseDown)
        {
            try
            {
                var value = await read();
                _last[key] = value;
                return value;
            }
            catch (Exception ex) when (DatabaseFaults.IsUnreachable(ex) && !ct.IsCancellationRequested)
            {
                state.DatabaseFailed(ex.Message);
            }
        }

        return _last.TryGetValue(key, out var last)
            ? (T)last!
            : throw new DatabaseUnavailableException($"The portal's database is down and this instance has not read {key} since it started.");
    }

    /// <summary>Throws <see cref="DatabaseUnavailableException"/> with <see cref="ReadOnlyMessage"/> while the database is down.</summary>
    public void EnsureWritable()
    {
        if (state.DatabaseDown)
        {
            throw new DatabaseUnavailableException(ReadOnlyMessage);
        }
    }
}
