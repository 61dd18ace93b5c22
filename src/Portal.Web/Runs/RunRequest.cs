namespace Portal.Web.Runs;

/// <summary>What a person or a tool asks to run: a probe kind against a named inventory target.</summary>
/// <param name="TimeoutSeconds">Optional; at most the probe's maximum.</param>
public sealed record RunRequest(
    string Kind,
    string Environment,
    string Target,
    Dictionary<string, string?>? Parameters = null,
    int? TimeoutSeconds = null);

/// <summary>Either a run id, or why nothing was started (per field, for forms and the API).</summary>
public sealed record RunStartResult(Guid? RunId, IReadOnlyDictionary<string, string> Errors)
{
    public static RunStartResult Refused(string field, string message) => new(null, new Dictionary<string, string> { [field] = message });
}
