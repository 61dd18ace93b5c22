using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Runbooks.Authoring;
using Portal.Runbooks.Model;
using Portal.Runbooks.Storage;
using Portal.Web.Auth;
using Portal.Web.Authoring;

namespace Portal.Web.Api;

/// <summary>
/// Editing runbooks through the API: versions, diff, save, revert, archive, categories, YAML
/// import/export. Reading history needs a viewer; everything else an editor. Changes are audited.
/// </summary>
public static class RunbookAuthoringEndpoints
{
    private const long MaxImportBytes = 5 * 1024 * 1024;

    public static IEndpointRouteBuilder MapRunbookAuthoringApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/runbooks").WithTags("Runbook authoring");
        group.MapGet("/{slug}/versions", ListVersionsAsync).WithName("ListRunbookVersions").RequireAuthorization(PortalRoles.Viewer)
            .WithSummary("The history of a runbook, newest first: version, author, note, source, time.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/{slug}/versions/{version:int}", GetVersionAsync).WithName("GetRunbookVersion").RequireAuthorization(PortalRoles.Viewer)
            .WithSummary("One version with its whole content in both languages (what PUT takes back).")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/{slug}/diff", DiffAsync).WithName("DiffRunbookVersions").RequireAuthorization(PortalRoles.Viewer)
            .WithSummary("Compares two versions (?from=&to=): changed fields with a text diff each, and the YAML side by side.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesValidationProblem();
        group.MapPut("/{slug}", SaveAsync).WithName("SaveRunbook").RequireAuthorization(PortalRoles.Editor)
            .WithSummary("Saves {baseVersion, note, content} as a new version (baseVersion 0 creates the runbook). 400 names each invalid field; 409 when someone saved after baseVersion, with both changes.")
            .ProducesValidationProblem().Produces<RunbookConflictDto>(StatusCodes.Status409Conflict);
        group.MapPost("/{slug}/revert", RevertAsync).WithName("RevertRunbook").RequireAuthorization(PortalRoles.Editor)
            .WithSummary("Saves the content of {toVersion} again as a new version, based on {baseVersion}.")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).Produces<RunbookConflictDto>(StatusCodes.Status409Conflict);
        group.MapPost("/{slug}/archive", (string slug, RunbookAuthoring authoring, HttpContext http, CancellationToken ct) => ArchiveAsync(slug, true, authoring, http, ct))
            .WithName("ArchiveRunbook").RequireAuthorization(PortalRoles.Editor)
            .WithSummary("Hides a runbook from the catalog and new walkthroughs; every version is kept.").ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{slug}/unarchive", (string slug, RunbookAuthoring authoring, HttpContext http, CancellationToken ct) => ArchiveAsync(slug, false, authoring, http, ct))
            .WithName("UnarchiveRunbook").RequireAuthorization(PortalRoles.Editor)
            .WithSummary("Brings an archived runbook back.").ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/{slug}/export", ExportAsync).WithName("ExportRunbook").RequireAuthorization(PortalRoles.Editor)
            .WithSummary("The runbook as YAML (the current version, or ?version=), with the version it was taken from.")
            .Produces<string>(contentType: YamlContentType).ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/export", ExportAllAsync).WithName("ExportAllRunbooks").RequireAuthorization(PortalRoles.Editor)
            .WithSummary("Every runbook (archived ones with ?includeArchived=true) as one YAML stream, a document each.")
            .Produces<string>(contentType: YamlContentType);
        group.MapPost("/import", ImportAsync).WithName("ImportRunbooks").RequireAuthorization(PortalRoles.Editor)
            .WithSummary("Imports one or many YAML runbook documents (?note=). All are validated first; nothing is written unless all pass. Identical ones are left alone; others become a new version. A document exported from an older version is a 409 conflict. Send the YAML as the body (any text content type).")
            .ProducesValidationProblem().Produces<ImportConflictDto>(StatusCodes.Status409Conflict);

        var categories = endpoints.MapGroup("/api/categories").WithTags("Runbook authoring");
        categories.MapGet("/", async (RunbookStore store, CancellationToken ct) =>
                TypedResults.Ok((await store.ListCategoriesAsync(ct)).Select(c => new CategoryDto(c.Key, c.Position, c.Title)).ToList()))
            .WithName("ListCategories").RequireAuthorization(PortalRoles.Viewer).WithSummary("Runbook categories in catalog order.");
        categories.MapPut("/{key}", PutCategoryAsync).WithName("PutCategory").RequireAuthorization(PortalRoles.Editor)
            .WithSummary("Creates or renames a category: {position, title: {zh-CN, en}}.").ProducesValidationProblem();
        return endpoints;
    }

    private const string YamlContentType = "application/yaml";

    internal static async Task<Results<Ok<IReadOnlyList<RunbookHistoryEntry>>, ProblemHttpResult>> ListVersionsAsync(
        string slug, RunbookStore store, CancellationToken ct)
    {
        var history = await store.ListVersionsAsync(slug, ct);
        return history.Count == 0 ? NotFound(slug) : TypedResults.Ok(history);
    }

    internal static async Task<Results<Ok<RunbookVersionDto>, ProblemHttpResult>> GetVersionAsync(
        string slug, int version, RunbookStore store, CancellationToken ct) =>
        await store.GetVersionAsync(slug, version, ct) is { } v
            ? TypedResults.Ok(RunbookVersionDto.From(v))
            : NotFound(slug, version);

    internal static async Task<Results<Ok<RunbookDiffDto>, ProblemHttpResult, ValidationProblem>> DiffAsync(
        string slug, int? from, int? to, RunbookStore store, CancellationToken ct)
    {
        if (from is null || to is null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                [from is null ? "from" : "to"] = ["Give both versions: ?from=1&to=2."],
            });
        }

        var before = await store.GetVersionAsync(slug, from.Value, ct);
        var after = await store.GetVersionAsync(slug, to.Value, ct);
        if (before is null || after is null)
        {
            return NotFound(slug, before is null ? from.Value : to.Value);
        }

        var diff = RunbookDiff.Compare(slug, before.Content, after.Content);
        return TypedResults.Ok(new RunbookDiffDto(slug, from.Value, to.Value, diff.Fields, diff.OldLines, diff.NewLines));
    }

    internal static async Task<Results<Ok<SavedRunbookDto>, ValidationProblem, Conflict<RunbookConflictDto>, ProblemHttpResult>> SaveAsync(
        string slug, SaveRunbookRequest request, RunbookAuthoring authoring, HttpContext http, CancellationToken ct)
    {
        var missing = new Dictionary<string, string[]>();
        if (request.Content is null)
        {
            missing["content"] = ["content is required: the whole runbook, as GET /api/runbooks/{slug}/versions/{version} returns it."];
        }

        if (request.BaseVersion is not >= 0)
        {
            missing["baseVersion"] = ["baseVersion is required: the version your edit started from (0 for a new runbook)."];
        }

        if (missing.Count > 0)
        {
            return TypedResults.ValidationProblem(missing, title: "The runbook was not saved");
        }

        return Answer(await authoring.SaveAsync(slug, request.Content!, request.BaseVersion!.Value, request.Note, Who(http), ct));
    }

    internal static async Task<Results<Ok<SavedRunbookDto>, ValidationProblem, Conflict<RunbookConflictDto>, ProblemHttpResult>> RevertAsync(
        string slug, RevertRunbookRequest request, RunbookAuthoring authoring, HttpContext http, CancellationToken ct)
    {
        var missing = new Dictionary<string, string[]>();
        if (request.ToVersion is not > 0)
        {
            missing["toVersion"] = ["toVersion is required: the version to go back to."];
        }

        if (request.BaseVersion is not > 0)
        {
            missing["baseVersion"] = ["baseVersion is required: the current version as you last saw it."];
        }

        if (missing.Count > 0)
        {
            return TypedResults.ValidationProblem(missing, title: "The runbook was not reverted");
        }

        return Answer(await authoring.RevertAsync(slug, request.ToVersion!.Value, request.BaseVersion!.Value, request.Note, Who(http), ct));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> ArchiveAsync(
        string slug, bool archived, RunbookAuthoring authoring, HttpContext http, CancellationToken ct) =>
        await authoring.SetArchivedAsync(slug, archived, Who(http), ct) ? TypedResults.NoContent() : NotFound(slug);

    internal static async Task<Results<ContentHttpResult, ProblemHttpResult>> ExportAsync(
        string slug, int? version, RunbookStore store, HttpContext http, CancellationToken ct)
    {
        var found = version is null ? await store.GetCurrentAsync(slug, ct) : await store.GetVersionAsync(slug, version.Value, ct);
        if (found is null)
        {
            return version is null ? NotFound(slug) : NotFound(slug, version.Value);
        }

        Attachment(http, $"{slug}.yaml");
        return TypedResults.Text(RunbookYaml.Write(Document(found)), YamlContentType, Encoding.UTF8);
    }

    internal static async Task<ContentHttpResult> ExportAllAsync(bool? includeArchived, RunbookStore store, HttpContext http, CancellationToken ct)
    {
        var runbooks = await store.ListCurrentAsync(includeArchived ?? false, ct);
        var categories = (await store.ListCategoriesAsync(ct)).ToDictionary(c => c.Key, c => c.Position);
        Attachment(http, "runbooks.yaml");
        return TypedResults.Text(
            RunbookYaml.WriteAll(runbooks
                .OrderBy(r => categories.GetValueOrDefault(r.Content.Category, int.MaxValue)).ThenBy(r => r.Content.Position).ThenBy(r => r.Slug, StringComparer.Ordinal)
                .Select(Document)),
            YamlContentType, Encoding.UTF8);
    }

    internal static async Task<Results<Ok<ImportResultDto>, ValidationProblem, Conflict<ImportConflictDto>>> ImportAsync(
        string? note, RunbookAuthoring authoring, HttpContext http, CancellationToken ct)
    {
        if (http.Request.ContentLength > MaxImportBytes)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = [$"The file is larger than {MaxImportBytes / 1024 / 1024} MB."] });
        }

        string yaml;
        using (var reader = new StreamReader(http.Request.Body, Encoding.UTF8))
        {
            var buffer = new char[MaxImportBytes + 1];
            var read = await reader.ReadBlockAsync(buffer, ct);
            if (read > MaxImportBytes)
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = [$"The file is larger than {MaxImportBytes / 1024 / 1024} MB."] });
            }

            yaml = new string(buffer, 0, read);
        }

        IReadOnlyList<RunbookDocument> documents;
        try
        {
            documents = RunbookYaml.ReadAll(yaml);
        }
        catch (YamlDotNet.Core.YamlException ex)
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["body"] = [$"Not a runbook YAML document (line {ex.Start.Line}, column {ex.Start.Column}): {Portal.Probes.Contract.ProbeText.Clip(ex.InnerException?.Message ?? ex.Message, 200)}"] },
                title: "Nothing was imported");
        }

        var (imported, errors, conflicts) = await authoring.ImportAsync(documents, note, Who(http), ct);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "Nothing was imported");
        }

        if (conflicts.Count > 0 && imported.Count == 0)
        {
            return TypedResults.Conflict(new ImportConflictDto(
                "Runbooks changed since the file was exported",
                $"{string.Join(", ", conflicts.Select(c => c.Slug))}: the file was exported from an older version than the current one. Nothing was imported; export again, apply your change, and import that.",
                [.. conflicts.Select(RunbookConflictDto.From)]));
        }

        return TypedResults.Ok(new ImportResultDto(imported));
    }

    internal static async Task<Results<Ok<CategoryDto>, ValidationProblem>> PutCategoryAsync(
        string key, CategoryInput input, RunbookAuthoring authoring, HttpContext http, CancellationToken ct)
    {
        var category = new Category(key, input.Position ?? 0, input.Title ?? new LocalizedText());
        var problems = await authoring.UpsertCategoryAsync(category, Who(http), ct);
        return problems.Count > 0
            ? TypedResults.ValidationProblem(RunbookEditValidator.ToErrors(problems), title: "The category was not saved")
            : TypedResults.Ok(new CategoryDto(category.Key, category.Position, category.Title));
    }

    private static Results<Ok<SavedRunbookDto>, ValidationProblem, Conflict<RunbookConflictDto>, ProblemHttpResult> Answer(AuthoringOutcome outcome) => outcome switch
    {
        AuthoringOutcome.Saved s => TypedResults.Ok(new SavedRunbookDto(s.Slug, s.Version)),
        AuthoringOutcome.Invalid i => TypedResults.ValidationProblem(RunbookEditValidator.ToErrors(i.Problems), title: "The runbook was not saved"),
        AuthoringOutcome.Conflict c => TypedResults.Conflict(RunbookConflictDto.From(c.Details)),
        AuthoringOutcome.NotFound n => TypedResults.Problem(title: "Not found", detail: n.Message, statusCode: StatusCodes.Status404NotFound),
        _ => throw new InvalidOperationException("unknown outcome"),
    };

    private static RunbookDocument Document(RunbookVersion version)
    {
        var document = RunbookDocument.From(version.Slug, version.Content);
        document.Version = version.Version;
        return document;
    }

    private static void Attachment(HttpContext http, string fileName) =>
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";

    private static Actor Who(HttpContext http) => new(http.User.Identity?.Name ?? "", AuthEndpoints.Source(http));

    private static ProblemHttpResult NotFound(string slug, int? version = null) => TypedResults.Problem(
        title: "Runbook not found",
        detail: version is null ? $"There is no runbook '{Clip(slug)}'." : $"Runbook '{Clip(slug)}' has no version {version}.",
        statusCode: StatusCodes.Status404NotFound);

    private static string Clip(string text) => Portal.Probes.Contract.ProbeText.Clip(text, 64);
}
