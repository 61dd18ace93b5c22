using Portal.Runbooks.Authoring;
using Portal.Runbooks.Engine;
using Portal.Runbooks.Model;
using Portal.Runbooks.Storage;
using Portal.Web.Auth;

namespace Portal.Web.Authoring;

/// <summary>Who acts and from where, for the audit log: a user name and an address, or "ui".</summary>
public sealed record Actor(string Name, string Source);

/// <summary>
/// Every change to runbooks goes through here, from the editor page and the API alike: validated,
/// saved optimistically (a stale base version is a <see cref="AuthoringOutcome.Conflict"/>, never an
/// overwrite), and audited with its outcome.
/// </summary>
public sealed class RunbookAuthoring(RunbookStore store, RunbookEditValidator validator, AuditLog audit)
{
    public const int MaxNoteLength = 500;

    public async Task<IReadOnlyList<RunbookProblem>> ValidateAsync(string slug, RunbookContent content, CancellationToken ct = default)
    {
        var categories = (await store.ListCategoriesAsync(ct)).Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
        var slugs = (await store.ListCurrentAsync(includeArchived: true, ct)).Select(r => r.Slug).ToHashSet(StringComparer.Ordinal);
        return validator.Validate(slug, content, categories, slugs);
    }

    /// <param name="baseVersion">The version the edit started from; 0 creates a new runbook.</param>
    public async Task<AuthoringOutcome> SaveAsync(
        string slug, RunbookContent content, int baseVersion, string? note, Actor actor, CancellationToken ct = default)
    {
        var problems = (await ValidateAsync(slug, content, ct)).ToList();
        problems.AddRange(CheckNote(note));
        if (problems.Count > 0)
        {
            await audit.WriteAsync(actor.Name, actor.Source, "runbook.save", Clip(slug), "refused", new { problems = problems.Select(p => p.Path) }, ct);
            return new AuthoringOutcome.Invalid(problems);
        }

        return await SaveCheckedAsync(slug, content, baseVersion, note ?? "", VersionSources.User, "runbook.save", actor, ct);
    }

    /// <summary>Saves the content of an old version again as the newest one.</summary>
    public async Task<AuthoringOutcome> RevertAsync(string slug, int toVersion, int baseVersion, string? note, Actor actor, CancellationToken ct = default)
    {
        var target = await store.GetVersionAsync(slug, toVersion, ct);
        if (target is null)
        {
            return new AuthoringOutcome.NotFound($"Runbook '{Clip(slug)}' has no version {toVersion}.");
        }

        var text = string.IsNullOrWhiteSpace(note) ? $"Revert to version {toVersion}" : note;
        if (CheckNote(text).ToList() is { Count: > 0 } noteProblems)
        {
            return new AuthoringOutcome.Invalid(noteProblems);
        }

        return await SaveCheckedAsync(slug, target.Content, baseVersion, text, VersionSources.User, "runbook.revert", actor, ct);
    }

    /// <returns>False when there is no such runbook.</returns>
    public async Task<bool> SetArchivedAsync(string slug, bool archived, Actor actor, CancellationToken ct = default)
    {
        var found = await store.SetArchivedAsync(slug, archived, ct);
        await audit.WriteAsync(actor.Name, actor.Source, archived ? "runbook.archive" : "runbook.unarchive", Clip(slug), found ? "success" : "not found", null, ct);
        return found;
    }

    public async Task<IReadOnlyList<RunbookProblem>> UpsertCategoryAsync(Category category, Actor actor, CancellationToken ct = default)
    {
        var problems = new List<RunbookProblem>();
        if (!System.Text.RegularExpressions.Regex.IsMatch(category.Key, "^[a-z0-9][a-z0-9-]{0,62}$"))
        {
            problems.Add(new("key", "key must be 1-63 lower-case letters, digits or '-', starting with a letter or digit"));
        }

        if (category.Title.Values.All(string.IsNullOrWhiteSpace))
        {
            problems.Add(new("title", "title is empty"));
        }

        if (category.Title.Keys.Any(k => !Languages.All.Contains(k, StringComparer.OrdinalIgnoreCase)))
        {
            problems.Add(new("title", "title languages are zh-CN and en"));
        }

        if (problems.Count > 0)
        {
            await audit.WriteAsync(actor.Name, actor.Source, "category.put", Clip(category.Key), "refused", new { problems = problems.Select(p => p.Path) }, ct);
            return problems;
        }

        await store.UpsertCategoryAsync(category, ct);
        await audit.WriteAsync(actor.Name, actor.Source, "category.put", category.Key, "success", new { category.Position, category.Title }, ct);
        return [];
    }

    /// <summary>
    /// Imports one or many runbooks. Every document is validated first and nothing is written unless
    /// all pass. A document identical to the current version changes nothing; any other becomes a new
    /// version (history keeps what it replaced). A document exported from an older version than the
    /// current one is a conflict: the file is stale.
    /// </summary>
    public async Task<(IReadOnlyList<ImportedRunbook> Imported, Dictionary<string, string[]> Errors, IReadOnlyList<RunbookConflict> Conflicts)> ImportAsync(
        IReadOnlyList<RunbookDocument> documents, string? note, Actor actor, CancellationToken ct = default)
    {
        var errors = new Dictionary<string, string[]>();
        var conflicts = new List<RunbookConflict>();
        var plans = new List<(RunbookDocument Document, RunbookVersion? Current)>();
        if (documents.Count == 0)
        {
            errors["body"] = ["The YAML holds no runbook."];
        }

        foreach (var group in documents.GroupBy(d => d.Slug).Where(g => g.Count() > 1))
        {
            errors[$"{group.Key}"] = ["The file holds this slug more than once."];
        }

        if (CheckNote(note).ToList() is { Count: > 0 } noteProblems)
        {
            errors["note"] = [.. noteProblems.Select(p => p.Message)];
        }

        for (var i = 0; i < documents.Count; i++)
        {
            var document = documents[i];
            var label = string.IsNullOrEmpty(document.Slug) ? $"documents[{i}]" : Clip(document.Slug);
            foreach (var (path, messages) in RunbookEditValidator.ToErrors(await ValidateAsync(document.Slug, document.ToContent(), ct), $"{label}: "))
            {
                errors[path] = messages;
            }

            var current = string.IsNullOrEmpty(document.Slug) ? null : await store.GetCurrentAsync(document.Slug, ct);
            if (document.Version is int exported && current is not null && exported != current.Version
                && RunbookJson.Hash(current.Content) != RunbookJson.Hash(document.ToContent()))
            {
                var based = await store.GetVersionAsync(document.Slug, exported, ct);
                conflicts.Add(Conflict(document.Slug, exported, based?.Content ?? current.Content, current, document.ToContent()));
            }

            plans.Add((document, current));
        }

        if (errors.Count > 0 || conflicts.Count > 0)
        {
            await audit.WriteAsync(actor.Name, actor.Source, "runbook.import", string.Join(",", documents.Select(d => Clip(d.Slug)).Take(20)),
                errors.Count > 0 ? "refused" : "conflict", new { errors = errors.Keys.Take(50), conflicts = conflicts.Select(c => c.Slug) }, ct);
            return ([], errors, conflicts);
        }

        var imported = new List<ImportedRunbook>();
        foreach (var (document, current) in plans)
        {
            var content = document.ToContent();
            if (current is not null && RunbookJson.Hash(current.Content) == RunbookJson.Hash(content))
            {
                imported.Add(new(document.Slug, "unchanged", current.Version));
                continue;
            }

            var outcome = await SaveCheckedAsync(document.Slug, content, current?.Version ?? 0,
                string.IsNullOrWhiteSpace(note) ? "Imported from YAML" : note, VersionSources.Import, "runbook.import", actor, ct);
            switch (outcome)
            {
                case AuthoringOutcome.Saved saved:
                    imported.Add(new(document.Slug, current is null ? "created" : "updated", saved.Version));
                    break;
                case AuthoringOutcome.Conflict conflict:
                    conflicts.Add(conflict.Details);
                    break;
            }
        }

        return (imported, errors, conflicts);
    }

    public static RunbookConflict Conflict(string slug, int baseVersion, RunbookContent based, RunbookVersion current, RunbookContent yours) =>
        new(slug, baseVersion, current, yours, RunbookDiff.Compare(slug, based, current.Content).Fields, RunbookDiff.Compare(slug, based, yours).Fields);

    private async Task<AuthoringOutcome> SaveCheckedAsync(
        string slug, RunbookContent content, int baseVersion, string note, string source, string action, Actor actor, CancellationToken ct)
    {
        try
        {
            var version = await store.SaveAsync(slug, content, baseVersion, actor.Name, note, source, ct);
            await audit.WriteAsync(actor.Name, actor.Source, action, slug, "success", new { version, baseVersion, note }, ct);
            return new AuthoringOutcome.Saved(slug, version);
        }
        catch (RunbookConflictException ex)
        {
            await audit.WriteAsync(actor.Name, actor.Source, action, slug, "conflict", new { baseVersion, current = ex.ActualVersion }, ct);
            var current = await store.GetCurrentAsync(slug, ct);
            if (current is null)
            {
                return new AuthoringOutcome.NotFound($"Runbook '{Clip(slug)}' does not exist; create it with base version 0.");
            }

            var based = baseVersion > 0 ? (await store.GetVersionAsync(slug, baseVersion, ct))?.Content : null;
            return new AuthoringOutcome.Conflict(Conflict(slug, baseVersion, based ?? new RunbookContent(), current, content));
        }
    }

    private static IEnumerable<RunbookProblem> CheckNote(string? note)
    {
        if (note is { Length: > MaxNoteLength })
        {
            yield return new("note", $"the change note is {note.Length} characters long; at most {MaxNoteLength} are allowed");
        }
        else if (note is not null && note.Any(c => char.IsControl(c) && c != '\n'))
        {
            yield return new("note", "the change note contains a control character");
        }
    }

    private static string Clip(string? text) => Portal.Probes.Contract.ProbeText.Clip(text, 64);
}
