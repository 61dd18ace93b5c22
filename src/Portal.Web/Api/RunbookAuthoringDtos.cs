using Portal.Runbooks.Authoring;
using Portal.Runbooks.Model;
using Portal.Web.Authoring;

namespace Portal.Web.Api;

/// <summary>One stored version with its whole content, both languages.</summary>
public sealed record RunbookVersionDto(
    string Slug, int Version, string Author, string Note, string Source, DateTimeOffset CreatedAt, bool Archived, RunbookContent Content)
{
    public static RunbookVersionDto From(RunbookVersion v) => new(v.Slug, v.Version, v.Author, v.Note, v.Source, v.CreatedAt, v.Archived, v.Content);
}

/// <param name="BaseVersion">The version the edit started from; 0 creates a new runbook.</param>
/// <param name="Note">Why: shown in the history (at most 500 characters).</param>
public sealed record SaveRunbookRequest(int? BaseVersion, string? Note, RunbookContent? Content);

/// <param name="ToVersion">The version whose content becomes the newest version again.</param>
/// <param name="BaseVersion">The current version as the caller last saw it.</param>
public sealed record RevertRunbookRequest(int? ToVersion, int? BaseVersion, string? Note);

public sealed record SavedRunbookDto(string Slug, int Version);

public sealed record CategoryInput(int? Position, LocalizedText? Title);

public sealed record CategoryDto(string Key, int Position, LocalizedText Title);

/// <summary>
/// 409: the save was based on <paramref name="BaseVersion"/> but <paramref name="Current"/> is newer.
/// <paramref name="TheirChanges"/> and <paramref name="YourChanges"/> are each relative to the base version.
/// </summary>
public sealed record RunbookConflictDto(
    string Title,
    string Detail,
    string Slug,
    int BaseVersion,
    int CurrentVersion,
    RunbookVersionDto Current,
    RunbookContent Yours,
    IReadOnlyList<FieldChange> TheirChanges,
    IReadOnlyList<FieldChange> YourChanges)
{
    public static RunbookConflictDto From(RunbookConflict c) => new(
        "The runbook changed since you started",
        $"Runbook '{c.Slug}' is at version {c.Current.Version} (by {c.Current.Author}), but the save was based on version {c.BaseVersion}. Nothing was saved.",
        c.Slug, c.BaseVersion, c.Current.Version, RunbookVersionDto.From(c.Current), c.Yours, c.TheirChanges, c.YourChanges);
}

public sealed record ImportConflictDto(string Title, string Detail, IReadOnlyList<RunbookConflictDto> Conflicts);

public sealed record ImportResultDto(IReadOnlyList<ImportedRunbook> Runbooks);

public sealed record RunbookDiffDto(
    string Slug, int From, int To, IReadOnlyList<FieldChange> Fields, IReadOnlyList<DiffLine> OldLines, IReadOnlyList<DiffLine> NewLines);
