using System.Text;

namespace Portal.Runbooks.Search;

/// <summary>
/// A user's query in the shape migration 0005 indexes: every word must match; a Latin token of three
/// or more characters may match inside a word (its containing words are looked up through pg_trgm,
/// see <see cref="Expandable"/>), a shorter one as a prefix; a Chinese run as its character bigrams.
/// Only &amp;, | and prefixes are used, which the GIN index answers exactly.
/// </summary>
public sealed class SearchQuery
{
    public const int MaxTerms = 8;
    private const int MaxTermLength = 64;

    private readonly List<List<Part>> _terms;

    private SearchQuery(List<List<Part>> terms)
    {
        _terms = terms;
    }

    public bool IsEmpty => _terms.Count == 0;

    /// <summary>Latin tokens whose containing words should be looked up ("axmemor" -> maxmemory).</summary>
    public IReadOnlyList<string> Expandable => [.. _terms.SelectMany(t => t).Where(p => p.Expand).Select(p => p.Text).Distinct(StringComparer.Ordinal)];

    public static SearchQuery Parse(string? query) =>
        new([.. RunbookSearch.Terms(query).Take(MaxTerms)
            .Select(word => Parts(word.Length > MaxTermLength ? word[..MaxTermLength] : word).ToList())
            .Where(parts => parts.Count > 0)]);

    /// <summary>
    /// The tsquery text, to be cast with ::tsquery (no further parsing). <paramref name="words"/> gives,
    /// per expandable token, the indexed words that contain it.
    /// </summary>
    public string ToTsQuery(IReadOnlyDictionary<string, IReadOnlyList<string>> words) =>
        string.Join(" & ", _terms.Select(term => "(" + string.Join(" & ", term.Select(part => part switch
        {
            { Expand: true } => "(" + string.Join(" | ", words.GetValueOrDefault(part.Text, []).Select(Lexeme).Prepend(Lexeme(part.Text) + ":*")) + ")",
            { Chinese: true, Text.Length: 1 } => Lexeme(part.Text) + ":*",
            { Chinese: true } => "(" + string.Join(" & ", Enumerable.Range(0, part.Text.Length - 1).Select(i => Lexeme(part.Text.Substring(i, 2)))) + ")",
            _ => Lexeme(part.Text) + ":*",
        })) + ")"));

    /// <summary>LIKE pattern for a token: anything containing it.</summary>
    public static string ContainsPattern(string token) =>
        "%" + token.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal) + "%";

    /// <summary>"redis-cli" -> redis, cli; "pg连接" -> pg, 连接 (Chinese runs are their own parts).</summary>
    private static IEnumerable<Part> Parts(string term)
    {
        var latin = new StringBuilder();
        var chinese = new StringBuilder();
        foreach (var c in term.ToLowerInvariant())
        {
            if (IsChinese(c))
            {
                if (latin.Length > 0)
                {
                    yield return Latin(latin);
                }

                chinese.Append(c);
                continue;
            }

            if (chinese.Length > 0)
            {
                yield return new Part(chinese.ToString(), Chinese: true, Expand: false);
                chinese.Clear();
            }

            if (char.IsLetterOrDigit(c))
            {
                latin.Append(c);
            }
            else if (latin.Length > 0)
            {
                yield return Latin(latin);
            }
        }

        if (latin.Length > 0)
        {
            yield return Latin(latin);
        }

        if (chinese.Length > 0)
        {
            yield return new Part(chinese.ToString(), Chinese: true, Expand: false);
        }
    }

    private static Part Latin(StringBuilder text)
    {
        var token = text.ToString();
        text.Clear();
        return new Part(token, Chinese: false, Expand: token.Length >= 3 && token.All(char.IsAscii));
    }

    private static string Lexeme(string text) => "'" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>CJK unified ideographs (and extension A, compatibility): the ranges migration 0005 makes bigrams of.</summary>
    public static bool IsChinese(char c) => c is (>= '\u3400' and <= '\u4dbf') or (>= '\u4e00' and <= '\u9fff') or (>= '\uf900' and <= '\ufaff');

    private sealed record Part(string Text, bool Chinese, bool Expand);
}
