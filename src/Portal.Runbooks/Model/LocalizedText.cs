namespace Portal.Runbooks.Model;

/// <summary>
/// A text in several languages, keyed by language tag ("zh-CN", "en"). Serialized as a plain
/// map in YAML and JSON so runbooks stay readable as files.
/// </summary>
#pragma warning disable CA1710 // it is a map of language -> text; "Dictionary" in the name adds nothing
public sealed class LocalizedText : Dictionary<string, string>
#pragma warning restore CA1710
{
    public LocalizedText() : base(StringComparer.OrdinalIgnoreCase)
    {
    }

    public LocalizedText(IEnumerable<KeyValuePair<string, string>> texts) : base(texts, StringComparer.OrdinalIgnoreCase)
    {
    }

    public static LocalizedText Of(string chinese, string english) =>
        new() { [Languages.Chinese] = chinese, [Languages.English] = english };

    /// <summary>
    /// The text in <paramref name="language"/>, else in the other language (a runbook half
    /// translated is still readable), else empty.
    /// </summary>
    public string In(string language)
    {
        if (TryGetValue(Languages.Normalize(language), out var text) && !string.IsNullOrWhiteSpace(text))
        {
            return text;
        }

        return Values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v)) ?? string.Empty;
    }

    /// <summary>True when the text contains <paramref name="term"/> in any language.</summary>
    public bool Contains(string term) =>
        Values.Any(v => v.Contains(term, StringComparison.OrdinalIgnoreCase));
}
