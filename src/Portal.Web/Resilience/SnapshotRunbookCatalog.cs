using Portal.Runbooks;
using Portal.Runbooks.Model;
using Portal.Runbooks.Storage;

namespace Portal.Web.Resilience;

/// <summary>
/// The runbook catalog pages and the API read: PostgreSQL while it answers, the local snapshot while it does not.
/// </summary>
public sealed class SnapshotRunbookCatalog(RunbookStore store, RunbookSnapshot snapshot, PortalDegradedState state) : IRunbookCatalog
{
    public Task<IReadOnlyList<Category>> ListCategoriesAsync(CancellationToken ct = default) =>
        ReadAsync(() => store.ListCategoriesAsync(ct), s => s.Categories, ct);

    public Task<IReadOnlyList<RunbookVersion>> ListCurrentAsync(bool includeArchived = false, CancellationToken ct = default) =>
        ReadAsync(() => store.ListCurrentAsync(includeArchived, ct),
            s => [.. s.Current.Where(v => includeArchived || !v.Archived)], ct);

    public Task<RunbookVersion?> GetCurrentAsync(string slug, CancellationToken ct = default) =>
        ReadAsync(() => store.GetCurrentAsync(slug, ct), s => s.Current.FirstOrDefault(v => v.Slug == slug), ct);

    /// <summary>One version (what an incident is pinned to).</summary>
    public Task<RunbookVersion?> GetVersionAsync(string slug, int version, CancellationToken ct = default) =>
        ReadAsync(() => store.GetVersionAsync(slug, version, ct),
            s => s.Current.Concat(s.Pinned).FirstOrDefault(v => v.Slug == slug && v.Version == version), ct);

    private async Task<T> ReadAsync<T>(Func<Task<T>> fromDatabase, Func<RunbookSnapshotData, T> fromSnapshot, CancellationToken ct)
    {
        if (!state.DatabaseDown)
        {
            try
            {
                return await fromDatabase();
            }
            catch (Exception ex) when (DatabaseFaults.IsUnreachable(ex) && !ct.IsCancellationRequested)
            {
                state.DatabaseFailed(ex.Message);
            }
        }

        return snapshot.Data is { } data
            ? fromSnapshot(data)
            : throw new DatabaseUnavailableException("The portal's database is down and this instance has no runbook snapshot yet.");
    }
}
