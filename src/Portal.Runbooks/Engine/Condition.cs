using System.Collections.Concurrent;

namespace Portal.Runbooks.Engine;

/// <summary>
/// A parsed branch-rule condition such as <c>pg.error == auth_failed</c>,
/// <c>redis.memory.used_pct &gt;= 95</c>, <c>port.owner.pid exists &amp;&amp; port.owner.is_target_service == false</c>.
/// </summary>
/// <remarks>
/// <para>Grammar: <c>expr := term ('||' term)*</c>, <c>term := factor ('&amp;&amp;' factor)*</c>,
/// <c>factor := '(' expr ')' | '!' factor | key 'exists' | key op value</c>, op one of
/// <c>== != &gt;= &lt;= &gt; &lt;</c>. A key is <c>verdict</c> or a dotted finding key (<c>[a-z0-9_]</c> segments
/// joined by '.'); a value is a bare word (<c>[A-Za-z0-9_.:-]+</c>, numbers included) or a "quoted string"
/// (<c>\"</c> and <c>\\</c> escape).</para>
/// <para>Semantics:</para>
/// <list type="bullet">
/// <item>A finding whose value is empty or blank counts as absent, everywhere.</item>
/// <item><c>key exists</c> is true when the finding is present (non-empty).</item>
/// <item>Any comparison on an absent key is false, <c>!=</c> included: <c>pg.error != timeout</c> means
/// "there is an error and it is not a timeout". Write <c>!(pg.error == timeout)</c> for "anything but a timeout,
/// or no error at all".</item>
/// <item><c>==</c> and <c>!=</c> compare as numbers when both sides parse as numbers (invariant culture,
/// so <c>"95.0" == 95</c>), otherwise as text, case-insensitively, ignoring blanks around the finding.</item>
/// <item><c>&gt; &gt;= &lt; &lt;=</c> are true only when both sides are numbers.</item>
/// <item>Quoting a value changes how it is read, not how it compares: <c>x == "95"</c> is numeric too.</item>
/// <item><c>verdict</c> is the probe verdict; it only takes <c>==</c> / <c>!=</c> with pass, warn, fail or error
/// (anything else is a parse error, so a typo such as <c>verdict == failed</c> cannot silently never match).</item>
/// </list>
/// <para>Parsing happens once per distinct text (<see cref="Parse"/> caches); evaluation walks the tree and
/// does not allocate.</para>
/// </remarks>
public sealed class Condition
{
    /// <summary>The key that means the probe verdict rather than a finding.</summary>
    public const string VerdictKey = "verdict";

    /// <summary>The verdicts a probe reports, lower case.</summary>
    public static IReadOnlyList<string> Verdicts { get; } = ["pass", "warn", "fail", "error"];

    private const int CacheLimit = 4096;
    private static readonly ConcurrentDictionary<string, object> Cache = new(StringComparer.Ordinal);

    internal Condition(string text, ConditionNode root, IReadOnlyList<string> keys)
    {
        Text = text;
        Root = root;
        Keys = keys;
    }

    /// <summary>The condition as written.</summary>
    public string Text { get; }

    public ConditionNode Root { get; }

    /// <summary>Every key the condition reads, in order of first use ("verdict" included).</summary>
    public IReadOnlyList<string> Keys { get; }

    /// <exception cref="ConditionParseException">The text is not a condition; the message says what and where.</exception>
    public static Condition Parse(string text)
    {
        var parsed = ParseCached(text);
        return parsed as Condition ?? throw ((ParseError)parsed).ToException();
    }

    /// <summary>Parses without throwing; <paramref name="error"/> is the message of <see cref="Parse"/>'s exception.</summary>
    public static bool TryParse(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Condition? condition, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out ConditionParseException? error)
    {
        var parsed = ParseCached(text);
        condition = parsed as Condition;
        error = (parsed as ParseError)?.ToException();
        return condition is not null;
    }

    /// <summary>True when the condition holds for this verdict (pass|warn|fail|error, any case) and these findings.</summary>
    public bool Evaluate(string? verdict, IReadOnlyDictionary<string, string> findings) =>
        Root.Evaluate(new ConditionContext(verdict, findings));

    public override string ToString() => Text;

    private static object ParseCached(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (Cache.TryGetValue(text, out var cached))
        {
            return cached;
        }

        object parsed;
        try
        {
            parsed = ConditionParser.Parse(text);
        }
        catch (ConditionParseException e)
        {
            parsed = new ParseError(e.Problem, e.Position);
        }

        // Conditions come from runbooks (a few hundred strings) and from the editor while someone
        // types; a full cache is simply dropped rather than growing without bound.
        if (Cache.Count >= CacheLimit)
        {
            Cache.Clear();
        }

        return Cache.GetOrAdd(text, parsed);
    }

    /// <summary>A cached failure; each caller gets a fresh exception.</summary>
    private sealed record ParseError(string Problem, int Position)
    {
        public ConditionParseException ToException() => new(Problem, Position);
    }
}

/// <summary>A condition that does not parse. <see cref="Exception.Message"/> reads like "unexpected ')' at 14".</summary>
public sealed class ConditionParseException : FormatException
{
    public ConditionParseException()
    {
    }

    public ConditionParseException(string message) : base(message)
    {
    }

    public ConditionParseException(string message, Exception innerException) : base(message, innerException)
    {
    }

    internal ConditionParseException(string problem, int position) : base($"{problem} at {position}")
    {
        Problem = problem;
        Position = position;
    }

    /// <summary>What is wrong, without the position ("unexpected ')'").</summary>
    public string Problem { get; } = string.Empty;

    /// <summary>Where in the text (0-based character index).</summary>
    public int Position { get; }
}
