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
/// <param name="RetryAfter">Set when the user's probe-run rate limit refused the run: when to try again.</param>
public sealed record RunStartResult(Guid? RunId, IReadOnlyDictionary<string, string> Errors, TimeSpan? RetryAfter = null)
{
    public const string RateField = "rate";

    public static RunStartResult Refused(string field, string message) => new(null, new Dictionary<string, string> { [field] = message });

    public static RunStartResult RateLimited(TimeSpan wait) => new(
        null,
        new Dictionary<string, string> { [RateField] = $"Too many probe runs: wait {Seconds(wait)} s." },
        TimeSpan.FromSeconds(Seconds(wait)));

    private static int Seconds(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
}
