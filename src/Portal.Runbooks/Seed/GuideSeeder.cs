using System.Reflection;
using Microsoft.Extensions.Logging;
using Portal.Runbooks.Model;
using Portal.Runbooks.Storage;

namespace Portal.Runbooks.Seed;

/// <summary>
/// Puts every section of the troubleshooting guide into the database as a runbook. Safe to run
/// at every start: a runbook nobody edited follows the seed files; one a person edited (its
/// latest version is not from the seed) is never touched.
/// </summary>
public sealed class GuideSeeder(RunbookStore store, ILogger<GuideSeeder> logger) : IDatabaseSeed
{
    public const string SeedAuthor = "guide";

    public async Task<SeedResult> SeedAsync(CancellationToken ct = default) =>
        await SeedAsync(LoadCategories(), LoadRunbooks(), ct);

    async Task IDatabaseSeed.SeedAsync(CancellationToken ct) => await SeedAsync(ct);

    /// <summary>Seeds the given documents; tests pass modified ones to prove edits are kept.</summary>
    public async Task<SeedResult> SeedAsync(
        IReadOnlyList<Category> categories, IReadOnlyList<RunbookDocument> runbooks, CancellationToken ct = default)
    {
        foreach (var category in categories)
        {
            await store.UpsertCategoryAsync(category, ct);
        }

        var result = new SeedResult();
        foreach (var document in runbooks)
        {
            var content = document.ToContent();
            var stamp = await store.GetLatestStampAsync(document.Slug, ct);
            try
            {
                if (stamp is null)
                {
                    await store.SaveAsync(document.Slug, content, 0, SeedAuthor, "From the troubleshooting guide", VersionSources.Seed, ct);
                    result.Created.Add(document.Slug);
                }
                else if (stamp.Value.Source != VersionSources.Seed)
                {
                    result.KeptEdited.Add(document.Slug);
                }
                else if (stamp.Value.Hash != RunbookJson.Hash(content))
                {
                    await store.SaveAsync(document.Slug, content, stamp.Value.Version, SeedAuthor, "Guide seed updated", VersionSources.Seed, ct);
                    result.Updated.Add(document.Slug);
                }
            }
            catch (RunbookConflictException)
            {
                // Another instance (or a person) saved this runbook between our read and write: theirs stands.
                result.KeptEdited.Add(document.Slug);
            }
        }

        logger.LogInformation(
            "Guide seed: {Created} created, {Updated} updated, {Kept} kept as edited",
            result.Created.Count, result.Updated.Count, result.KeptEdited.Count);
        return result;
    }

    public static IReadOnlyList<Category> LoadCategories() =>
        RunbookYaml.ReadCategories(ReadResource("categories.yaml"));

    /// <summary>Every runbook seed file shipped in this assembly, in catalog order.</summary>
    public static IReadOnlyList<RunbookDocument> LoadRunbooks()
    {
        var assembly = Assembly.GetExecutingAssembly();
        return [.. assembly.GetManifestResourceNames()
            .Where(n => n.Contains(".Seed.", StringComparison.Ordinal) && n.EndsWith(".yaml", StringComparison.Ordinal)
                        && !n.EndsWith(".categories.yaml", StringComparison.Ordinal))
            .Select(n => RunbookYaml.ReadRunbook(ReadResource(n[(n.IndexOf(".Seed.", StringComparison.Ordinal) + 6)..])))
            .OrderBy(d => d.Category).ThenBy(d => d.Position)];
    }

    private static string ReadResource(string fileName)
    {
        var assembly = Assembly.GetExecutingAssembly();
        var name = $"{assembly.GetName().Name}.Seed.{fileName}";
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Seed file {fileName} is not embedded in {assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

public sealed class SeedResult
{
    public List<string> Created { get; } = [];

    public List<string> Updated { get; } = [];

    public List<string> KeptEdited { get; } = [];
}
