using System.Text.RegularExpressions;

namespace Portal.Runbooks.Engine;

/// <summary>
/// "{name}" placeholders in probe parameters, filled from input steps. A name is lower-case letters,
/// digits and '_' (starting with a letter or '_'), so regex quantifiers such as <c>{1,64}</c> or
/// <c>\p{L}</c> in a parameter are never mistaken for placeholders.
/// </summary>
public static partial class Placeholders
{
    /// <summary>The distinct placeholder names in <paramref name="text"/>, in order of appearance.</summary>
    public static IReadOnlyList<string> Find(string? text)
    {
        if (string.IsNullOrEmpty(text) || !text.Contains('{', StringComparison.Ordinal))
        {
            return [];
        }

        var names = new List<string>();
        foreach (Match match in PlaceholderRegex().Matches(text))
        {
            var name = match.Groups[1].Value;
            if (!names.Contains(name))
            {
                names.Add(name);
            }
        }

        return names;
    }

    /// <summary>
    /// Replaces every placeholder that has a value in <paramref name="values"/>; the others stay as written
    /// and are added to <paramref name="missing"/> (once each).
    /// </summary>
    public static string Substitute(string text, IReadOnlyDictionary<string, string> values, ICollection<string> missing) =>
        string.IsNullOrEmpty(text) || !text.Contains('{', StringComparison.Ordinal)
            ? text
            : PlaceholderRegex().Replace(text, match =>
            {
                var name = match.Groups[1].Value;
                if (values.TryGetValue(name, out var value))
                {
                    return value;
                }

                if (!missing.Contains(name))
                {
                    missing.Add(name);
                }

                return match.Value;
            });

    /// <summary>True when <paramref name="name"/> can be an input name (and so a placeholder).</summary>
    public static bool IsValidName(string? name) => name is not null && NameRegex().IsMatch(name);

    [GeneratedRegex(@"\{([a-z_][a-z0-9_]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex PlaceholderRegex();

    [GeneratedRegex(@"\A[a-z_][a-z0-9_]*\z", RegexOptions.CultureInvariant)]
    private static partial Regex NameRegex();
}
