namespace Portal.Runbooks.Model;

/// <summary>The languages runbooks are written in. zh-CN is the guide's own language.</summary>
public static class Languages
{
    public const string Chinese = "zh-CN";
    public const string English = "en";

    public static IReadOnlyList<string> All { get; } = [Chinese, English];

    /// <summary>
    /// Maps what a browser or API client asks for ("zh", "zh-Hans", "ZH-cn", "en-US", null)
    /// onto a supported language; anything that is not Chinese is English.
    /// </summary>
    public static string Normalize(string? requested) =>
        requested is not null && requested.Trim().StartsWith("zh", StringComparison.OrdinalIgnoreCase)
            ? Chinese
            : English;
}
