namespace Portal.Runbooks.Model;

/// <summary>Where a version came from.</summary>
public static class VersionSources
{
    /// <summary>Written by the guide seed at start-up; a newer seed may supersede it.</summary>
    public const string Seed = "seed";

    /// <summary>Saved by a person; the seed never touches a runbook whose latest version is this.</summary>
    public const string User = "user";

    public const string Import = "import";
}

/// <summary>One immutable version of a runbook as stored.</summary>
public sealed record RunbookVersion(
    string Slug,
    int Version,
    RunbookContent Content,
    string Author,
    string Note,
    string Source,
    DateTimeOffset CreatedAt,
    bool Archived);
