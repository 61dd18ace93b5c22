using System.Globalization;
using Portal.Runbooks.Engine;

namespace Portal.Runbooks.Tests.Engine;

/// <summary>
/// Builds probe outcomes from conditions' syntax trees: for every key the conditions read, the values
/// worth trying are "absent", "some other value", each literal it is compared with and, for numbers, one
/// above and one below; every verdict is tried. Enumerating all combinations (lazily) finds an outcome
/// for any condition these trees can express over a handful of keys.
/// </summary>
internal static class FindingsSolver
{
    public static IEnumerable<ProbeOutcome> Outcomes(IEnumerable<Condition> conditions)
    {
        var leaves = conditions.SelectMany(c => Leaves(c.Root)).ToList();
        var keys = leaves.Select(Key).Where(k => k != Condition.VerdictKey).Distinct().ToList();
        var values = keys.Select(k => ValuesFor(k, leaves)).ToList();

        foreach (var verdict in Condition.Verdicts)
        {
            var odometer = new int[keys.Count];
            while (true)
            {
                var findings = new Dictionary<string, string>(StringComparer.Ordinal);
                for (var i = 0; i < keys.Count; i++)
                {
                    if (values[i][odometer[i]] is { } value)
                    {
                        findings[keys[i]] = value;
                    }
                }

                yield return new ProbeOutcome(verdict, findings);

                var digit = 0;
                while (digit < keys.Count && ++odometer[digit] == values[digit].Count)
                {
                    odometer[digit++] = 0;
                }

                if (digit == keys.Count)
                {
                    break;
                }
            }
        }
    }

    private static List<string?> ValuesFor(string key, List<ConditionNode> leaves)
    {
        var values = new List<string?> { null, "other" };
        foreach (var comparison in leaves.OfType<ComparisonNode>().Where(c => c.Key == key))
        {
            values.Add(comparison.Value);
            if (comparison.Number is { } n)
            {
                values.Add((n + 1).ToString(CultureInfo.InvariantCulture));
                values.Add((n - 1).ToString(CultureInfo.InvariantCulture));
            }
        }

        return [.. values.Distinct()];
    }

    private static string Key(ConditionNode leaf) => leaf switch
    {
        ExistsNode e => e.Key,
        ComparisonNode c => c.Key,
        _ => throw new InvalidOperationException("not a leaf"),
    };

    private static IEnumerable<ConditionNode> Leaves(ConditionNode node) => node switch
    {
        OrNode or => or.Operands.SelectMany(Leaves),
        AndNode and => and.Operands.SelectMany(Leaves),
        NotNode not => Leaves(not.Operand),
        _ => [node],
    };
}
