using System.Globalization;

namespace Portal.Runbooks.Engine;

/// <summary>The operators a comparison may use.</summary>
public enum ComparisonOperator
{
    Equal,
    NotEqual,
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
}

/// <summary>
/// A node of a parsed <see cref="Condition"/>. The tree is public so the editor can show it and
/// tests can build findings that satisfy it; it is immutable and safe to share between threads.
/// </summary>
public abstract class ConditionNode
{
    private protected ConditionNode()
    {
    }

    /// <summary>Where the node starts in the condition text (0-based).</summary>
    public int Position { get; private protected init; }

    internal abstract bool Evaluate(in ConditionContext context);

    /// <summary>The node written back as condition text, fully parenthesized where it matters.</summary>
    public abstract override string ToString();
}

/// <summary><c>a || b || …</c>: true when any operand is.</summary>
public sealed class OrNode : ConditionNode
{
    internal OrNode(IReadOnlyList<ConditionNode> operands, int position)
    {
        Operands = operands;
        Position = position;
    }

    public IReadOnlyList<ConditionNode> Operands { get; }

    internal override bool Evaluate(in ConditionContext context)
    {
        // Indexed, not foreach: enumerating an IReadOnlyList allocates an enumerator.
        for (var i = 0; i < Operands.Count; i++)
        {
            if (Operands[i].Evaluate(context))
            {
                return true;
            }
        }

        return false;
    }

    public override string ToString() => "(" + string.Join(" || ", Operands) + ")";
}

/// <summary><c>a &amp;&amp; b &amp;&amp; …</c>: true when every operand is.</summary>
public sealed class AndNode : ConditionNode
{
    internal AndNode(IReadOnlyList<ConditionNode> operands, int position)
    {
        Operands = operands;
        Position = position;
    }

    public IReadOnlyList<ConditionNode> Operands { get; }

    internal override bool Evaluate(in ConditionContext context)
    {
        for (var i = 0; i < Operands.Count; i++)
        {
            if (!Operands[i].Evaluate(context))
            {
                return false;
            }
        }

        return true;
    }

    public override string ToString() => "(" + string.Join(" && ", Operands) + ")";
}

/// <summary><c>!a</c>.</summary>
public sealed class NotNode : ConditionNode
{
    internal NotNode(ConditionNode operand, int position)
    {
        Operand = operand;
        Position = position;
    }

    public ConditionNode Operand { get; }

    internal override bool Evaluate(in ConditionContext context) => !Operand.Evaluate(context);

    public override string ToString() => "!" + Operand;
}

/// <summary><c>key exists</c>: the finding is present and not empty or blank.</summary>
public sealed class ExistsNode : ConditionNode
{
    internal ExistsNode(string key, int position)
    {
        Key = key;
        Position = position;
    }

    public string Key { get; }

    internal override bool Evaluate(in ConditionContext context) => context.TryGet(Key, out _);

    public override string ToString() => Key + " exists";
}

/// <summary><c>key op value</c>, e.g. <c>redis.memory.used_pct &gt;= 95</c>.</summary>
public sealed class ComparisonNode : ConditionNode
{
    internal ComparisonNode(string key, ComparisonOperator op, string value, int position)
    {
        Key = key;
        Operator = op;
        Value = value;
        Number = ConditionValues.TryNumber(value, out var number) ? number : null;
        Position = position;
    }

    public string Key { get; }

    public ComparisonOperator Operator { get; }

    /// <summary>The value as written (unquoted).</summary>
    public string Value { get; }

    /// <summary>The value as a number when it is one (invariant culture), else null.</summary>
    public double? Number { get; }

    internal override bool Evaluate(in ConditionContext context) =>
        context.TryGet(Key, out var actual) && ConditionValues.Compare(actual, Operator, Value, Number);

    public override string ToString()
    {
        var op = Operator switch
        {
            ComparisonOperator.Equal => "==",
            ComparisonOperator.NotEqual => "!=",
            ComparisonOperator.Greater => ">",
            ComparisonOperator.GreaterOrEqual => ">=",
            ComparisonOperator.Less => "<",
            _ => "<=",
        };
        var bare = Value.Length > 0 && Value.All(ConditionParser.IsWordChar);
        var value = bare ? Value : "\"" + Value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
        return $"{Key} {op} {value}";
    }
}

/// <summary>What a condition is evaluated against: the probe verdict and its findings.</summary>
internal readonly struct ConditionContext(string? verdict, IReadOnlyDictionary<string, string> findings)
{
    /// <summary>
    /// The value of <paramref name="key"/>; false when it is absent, empty or blank ("verdict" is
    /// the verdict, never a finding).
    /// </summary>
    public bool TryGet(string key, out string value)
    {
        string? found;
        if (key == Condition.VerdictKey)
        {
            found = verdict;
        }
        else
        {
            findings.TryGetValue(key, out found);
        }

        value = found ?? string.Empty;
        return !string.IsNullOrWhiteSpace(found);
    }
}

/// <summary>How finding values compare: numbers as numbers, everything else as case-insensitive text.</summary>
internal static class ConditionValues
{
    public static bool TryNumber(ReadOnlySpan<char> text, out double number) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out number) && double.IsFinite(number);

    public static bool Compare(string actual, ComparisonOperator op, string literal, double? literalNumber)
    {
        var numeric = false;
        var a = 0d;
        if (literalNumber is not null && TryNumber(actual, out a))
        {
            numeric = true;
        }

        var n = literalNumber ?? 0d;
        return op switch
        {
            ComparisonOperator.Equal => numeric ? a == n : TextEquals(actual, literal),
            ComparisonOperator.NotEqual => numeric ? a != n : !TextEquals(actual, literal),
            ComparisonOperator.Greater => numeric && a > n,
            ComparisonOperator.GreaterOrEqual => numeric && a >= n,
            ComparisonOperator.Less => numeric && a < n,
            ComparisonOperator.LessOrEqual => numeric && a <= n,
            _ => false,
        };
    }

    private static bool TextEquals(string actual, string literal) =>
        actual.AsSpan().Trim().Equals(literal, StringComparison.OrdinalIgnoreCase);
}
