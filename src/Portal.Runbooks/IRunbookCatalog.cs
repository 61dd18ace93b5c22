using Portal.Runbooks.Model;

namespace Portal.Runbooks;

/// <summary>What pages and the API read: categories and the current version of each runbook.</summary>
public interface IRunbookCatalog
{
    Task<IReadOnlyList<Category>> ListCategoriesAsync(CancellationToken ct = default);

    Task<IReadOnlyList<RunbookVersion>> ListCurrentAsync(bool includeArchived = false, CancellationToken ct = default);

    Task<RunbookVersion?> GetCurrentAsync(string slug, CancellationToken ct = default);
}
