using System.Globalization;
using System.Text;

namespace Portal.Runbooks.Search;

/// <summary>
/// A user's query turned into what <see cref="PostgresRunbookSearch"/> sends: per word a tsquery
/// (Latin tokens as prefixes, Chinese runs as bigram phrases, matching how migration 0005 indexes
/// text) and, for Latin words of three or more characters, a LIKE pattern for pg_trgm.
/// </summary>
public sealed record SearchQuery(IReadOnlyList<SearchTerm> Terms)
{
    public const int MaxTerms = 8;
    private const int MaxTermLength = 64;

    public string AnyTerm => string.Join(" | ", Terms.Select(t => $"({t.TsQuery})"));

    public static SearchQuery Parse(string? query)
    {
        var terms = new List<SearchTerm>();
        foreach (var word in RunbookSearch.Terms(query).Take(MaxTerms))
        {
            var term = word.Length > MaxTermLength ? word[..MaxTermLength] : word;
            var parts = Parts(term.ToLowerInvariant()).ToList();
            if (parts.Count == 0)
            {
                continue;
            }

            var like = term.Length >= 3 && term.All(c => c < 128 && (char.IsLetterOrDigit(c) || c is '-' or '_' or '.'))
                ? "%" + term.ToLowerInvariant().Replace("\\", "\\\\", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%"
                : null;
            terms.Add(new SearchTerm(term, string.Join(" & ", parts), like));
        }

        return new SearchQuery(terms);
    }

    /// <summary>tsquery pieces of one word: "redis-cli" -> 'redis':*, 'cli':*; "端口占用" -> '端口' &lt;-&gt; '口占' &lt;-&gt; '占用'.</summary>
    private static IEnumerable<string> Parts(string term)
    {
        var latin = new StringBuilder();
        var chinese = new StringBuilder();
        foreach (var c in term)
        {
            if (IsChinese(c))
            {
                if (latin.Length > 0)
                {
                    yield return Lexeme(latin.ToString()) + ":*";
                    latin.Clear();
                }

                chinese.Append(c);
            }
            else
            {
                if (chinese.Length > 0)
                {
                    yield return Grams(chinese.ToString());
                    chinese.Clear();
                }

                if (char.IsLetterOrDigit(c))
                {
                    latin.Append(c);
                }
                else if (latin.Length > 0)
                {
                    yield return Lexeme(latin.ToString()) + ":*";
                    latin.Clear();
                }
            }
        }

        if (latin.Length > 0)
        {
            yield return Lexeme(latin.ToString()) + ":*";
        }

        if (chinese.Length > 0)
        {
            yield return Grams(chinese.ToString());
        }
    }

    /// <summary>One character matches as a prefix of the indexed grams; longer runs as a phrase of bigrams.</summary>
    private static string Grams(string run) =>
        run.Length == 1
            ? Lexeme(run) + ":*"
            : "(" + string.Join(" <-> ", Enumerable.Range(0, run.Length - 1).Select(i => Lexeme(run.Substring(i, 2)))) + ")";

    private static string Lexeme(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal).Replace("\\", "\\\\", StringComparison.Ordinal) + "'";

    /// <summary>CJK unified ideographs (and extension A, compatibility): the ranges migration 0005 makes bigrams of.</summary>
    public static bool IsChinese(char c) => c is (>= '\u3400' and <= '\u4dbf') or (>= '\u4e00' and <= '\u9fff') or (>= '\uf900' and <= '\ufaff');

    public override string ToString() => string.Join(" ", Terms.Select(t => t.Text.ToString(CultureInfo.InvariantCulture)));
}

/// <param name="Like">A LIKE pattern over the lower-cased text for pg_trgm, or null when the word is too short or not Latin.</param>
public sealed record SearchTerm(string Text, string TsQuery, string? Like);
