using Portal.Runbooks.Authoring;
using Portal.Runbooks.Engine;
using Portal.Runbooks.Model;

namespace Portal.Web.Authoring;

/// <summary>What became of a save, revert or import.</summary>
public abstract record AuthoringOutcome
{
    private AuthoringOutcome()
    {
    }

    /// <summary>Written as <paramref name="Version"/>.</summary>
    public sealed record Saved(string Slug, int Version) : AuthoringOutcome;

    /// <summary>Nothing written: the content has these problems.</summary>
    public sealed record Invalid(IReadOnlyList<RunbookProblem> Problems) : AuthoringOutcome;

    /// <summary>Nothing written: someone saved <see cref="Current"/> after the version the edit started from.</summary>
    public sealed record Conflict(RunbookConflict Details) : AuthoringOutcome;

    /// <summary>Nothing written: no such runbook or version.</summary>
    public sealed record NotFound(string Message) : AuthoringOutcome;
}

/// <summary>
/// Both changes of a refused save, each relative to the version the edit started from, so a person
/// can see what the other editor changed and what they changed themselves.
/// </summary>
public sealed record RunbookConflict(
    string Slug,
    int BaseVersion,
    RunbookVersion Current,
    RunbookContent Yours,
    IReadOnlyList<FieldChange> TheirChanges,
    IReadOnlyList<FieldChange> YourChanges);

/// <summary>One document of an import: created, updated (a new version) or unchanged (identical to the current version).</summary>
public sealed record ImportedRunbook(string Slug, string Outcome, int Version);
