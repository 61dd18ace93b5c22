using Portal.Runbooks;
using Portal.Runbooks.Model;
using Portal.Runbooks.Seed;

namespace Portal.Web.Tests;

/// <summary>The shipped guide seed, served from memory, for component tests. Can be told to fail.</summary>
public sealed class InMemoryRunbookCatalog : IRunbookCatalog
{
    public List<RunbookVersion> Runbooks { get; } = [.. GuideSeeder.LoadRunbooks()
        .Select(d => new RunbookVersion(d.Slug, 1, d.ToContent(), GuideSeeder.SeedAuthor, "", VersionSources.Seed, DateTimeOffset.UnixEpoch, false))];

    public List<Category> Categories { get; } = [.. GuideSeeder.LoadCategories()];

    /// <summary>When set, every call throws it: the database is down.</summary>
    public Exception? Failure { get; set; }

    public Task<IReadOnlyList<Category>> ListCategoriesAsync(CancellationToken ct = default) =>
        Answer<IReadOnlyList<Category>>(Categories);

    public Task<IReadOnlyList<RunbookVersion>> ListCurrentAsync(bool includeArchived = false, CancellationToken ct = default) =>
        Answer<IReadOnlyList<RunbookVersion>>([.. Runbooks.Where(r => includeArchived || !r.Archived)]);

    public Task<RunbookVersion?> GetCurrentAsync(string slug, CancellationToken ct = default) =>
        Answer(Runbooks.FirstOrDefault(r => r.Slug == slug));

    private Task<T> Answer<T>(T value) => Failure is null ? Task.FromResult(value) : Task.FromException<T>(Failure);
}
