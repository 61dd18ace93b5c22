using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using Portal.Runbooks;
using Portal.Runbooks.Model;
using Portal.Runbooks.Search;

namespace Portal.Web.Api;

public static class RunbookEndpoints
{
    public static IEndpointRouteBuilder MapRunbookApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/runbooks").WithTags("Runbooks").RequireAuthorization(Auth.PortalRoles.Viewer);

        group.MapGet("/", ListAsync)
            .WithName("ListRunbooks")
            .WithSummary("The runbook catalog in one language, optionally filtered by a symptom search.")
            .WithDescription("lang: zh or en (default: the request's language). q: words that must all occur in a title, symptom, step or solution, in any language (Chinese matches inside words); ranked, best first.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapGet("/{slug}", GetAsync)
            .WithName("GetRunbook")
            .WithSummary("One runbook with its symptoms, steps and solutions, in one language.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        return endpoints;
    }

    internal static async Task<Results<Ok<List<RunbookSummaryDto>>, ProblemHttpResult>> ListAsync(
        IRunbookCatalog catalog, IRunbookSearch search, string? lang, string? q, CancellationToken ct)
    {
        if (ParseLanguage(lang) is not { } language)
        {
            return BadLanguage(lang);
        }

        try
        {
            var categories = await CategoryMapAsync(catalog, ct);
            var current = await catalog.ListCurrentAsync(ct: ct);
            IReadOnlyList<RunbookVersion> runbooks = current;
            if (RunbookSearch.Terms(q).Length > 0)
            {
                var bySlug = current.ToDictionary(r => r.Slug, StringComparer.Ordinal);
                runbooks = [.. (await search.SearchAsync(q, 500, ct)).Select(h => bySlug.GetValueOrDefault(h.Slug)).OfType<RunbookVersion>()];
            }

            var ordered = string.IsNullOrWhiteSpace(q)
                ? runbooks.OrderBy(r => categories.TryGetValue(r.Content.Category, out var c) ? c.Position : int.MaxValue)
                    .ThenBy(r => r.Content.Position)
                    .ToList()
                : runbooks;
            return TypedResults.Ok(ordered.Select(r => r.ToSummary(language, categories)).ToList());
        }
        catch (NpgsqlException ex)
        {
            return DatabaseUnavailable(ex);
        }
    }

    internal static async Task<Results<Ok<RunbookDto>, ProblemHttpResult>> GetAsync(
        IRunbookCatalog catalog, string slug, string? lang, CancellationToken ct)
    {
        if (ParseLanguage(lang) is not { } language)
        {
            return BadLanguage(lang);
        }

        try
        {
            var runbook = await catalog.GetCurrentAsync(slug, ct);
            if (runbook is null || runbook.Archived)
            {
                return TypedResults.Problem(title: "Runbook not found", detail: $"There is no runbook '{slug}'.", statusCode: StatusCodes.Status404NotFound);
            }

            return TypedResults.Ok(runbook.ToDto(language, await CategoryMapAsync(catalog, ct)));
        }
        catch (NpgsqlException ex)
        {
            return DatabaseUnavailable(ex);
        }
    }

    /// <summary>zh / zh-CN / en / en-US...; absent means the request's own language.</summary>
    private static string? ParseLanguage(string? lang)
    {
        if (string.IsNullOrWhiteSpace(lang))
        {
            return Languages.Normalize(CultureInfo.CurrentUICulture.Name);
        }

        return lang.StartsWith("zh", StringComparison.OrdinalIgnoreCase) || lang.StartsWith("en", StringComparison.OrdinalIgnoreCase)
            ? Languages.Normalize(lang)
            : null;
    }

    private static async Task<Dictionary<string, Category>> CategoryMapAsync(IRunbookCatalog catalog, CancellationToken ct) =>
        (await catalog.ListCategoriesAsync(ct)).ToDictionary(c => c.Key);

    private static ProblemHttpResult BadLanguage(string? lang) =>
        TypedResults.Problem(
            title: "Unsupported language",
            detail: $"lang '{Portal.Probes.Contract.ProbeText.Clip(lang)}' is not supported; use 'zh' or 'en'.",
            statusCode: StatusCodes.Status400BadRequest);

    private static ProblemHttpResult DatabaseUnavailable(NpgsqlException ex) =>
        TypedResults.Problem(
            title: "Runbook database unavailable",
            detail: $"The portal's PostgreSQL did not answer: {ex.Message}",
            statusCode: StatusCodes.Status503ServiceUnavailable);
}
