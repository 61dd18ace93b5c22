namespace Portal.Runbooks.Storage;

/// <summary>
/// A save was based on a version that is no longer the latest: somebody saved in between.
/// Nothing was written; the caller shows both changes instead of overwriting.
/// </summary>
public sealed class RunbookConflictException(string slug, int expectedVersion, int actualVersion)
    : Exception($"Runbook '{slug}' is at version {actualVersion}, but the save was based on version {expectedVersion}.")
{
    public string Slug { get; } = slug;

    public int ExpectedVersion { get; } = expectedVersion;

    public int ActualVersion { get; } = actualVersion;
}
