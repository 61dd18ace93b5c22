using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;

namespace Portal.Web.Api;

/// <summary>
/// A request body or route value the API cannot bind (not JSON, a string where a number goes,
/// an overflowing number) is answered with validation problem details naming the field, in every
/// environment, instead of an empty 400 (Production) or an exception page (Development).
/// </summary>
public static class BadRequestProblems
{
    public static IServiceCollection AddBadRequestProblems(this IServiceCollection services) =>
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);

    public static IApplicationBuilder UseBadRequestProblems(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        try
        {
            await next(http);
        }
        catch (BadHttpRequestException ex) when (!http.Response.HasStarted)
        {
            var (field, message) = Describe(ex);
            http.Response.Clear();
            http.Response.StatusCode = ex.StatusCode;
            await http.Response.WriteAsJsonAsync(
                new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] })
                {
                    Status = ex.StatusCode, Title = "The request could not be read",
                },
                http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<JsonOptions>>().Value.SerializerOptions,
                contentType: "application/problem+json");
        }
    });

    /// <returns>The JSON field ("port", "parameters.port") or "body"/"request", and a message without the caller's text.</returns>
    private static (string Field, string Message) Describe(BadHttpRequestException ex)
    {
        if (ex.InnerException is JsonException json)
        {
            var path = json.Path is { Length: > 2 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : null;
            return path is null
                ? ("body", $"The body is not valid JSON (line {json.LineNumber + 1}, position {json.BytePositionInLine + 1}).")
                : (path, $"{path} has the wrong type or is out of range.");
        }

        return ex.StatusCode == StatusCodes.Status415UnsupportedMediaType
            ? ("body", "Send the body as application/json.")
            : ("request", ProbeText(ex.Message));
    }

    private static string ProbeText(string message) => Portal.Probes.Contract.ProbeText.Clip(message, 200);
}
