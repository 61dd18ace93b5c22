using Portal.Runbooks.Model;

namespace Portal.Runbooks.Engine;

/// <summary>One finished check of a sweep: which probe ran on which target (and its role), and how it ended.</summary>
public sealed record TriageResult(Guid RunId, string Probe, string Target, string Role, string Verdict, IReadOnlyDictionary<string, string> Findings);

/// <summary>A runbook whose triage rules matched, with the rule that weighed most and why.</summary>
/// <param name="Evidence">The results that matched any of its rules, the deciding one first.</param>
public sealed record TriageSuggestion(
    string Slug, LocalizedText Title, int Score, LocalizedText Reason, string? Step, TriageRule Rule, IReadOnlyList<TriageResult> Evidence);

/// <summary>
/// Ranks runbooks by the triage rules stored with them against a sweep's results. Pure: the same
/// runbooks and results always give the same ranking (score, then number of matches, then slug).
/// </summary>
public static class TriageMatcher
{
    public static IReadOnlyList<TriageSuggestion> Rank(IEnumerable<(string Slug, RunbookContent Content)> runbooks, IReadOnlyList<TriageResult> results)
    {
        var suggestions = new List<(TriageSuggestion Suggestion, int Matches)>();
        foreach (var (slug, content) in runbooks)
        {
            var matches = new List<(TriageRule Rule, TriageResult Result)>();
            foreach (var rule in content.Triage ?? [])
            {
                if (!Condition.TryParse(rule.When, out var condition, out _))
                {
                    continue; // the validator refuses these on save; an old stored one just never matches
                }

                matches.AddRange(results
                    .Where(r => r.Probe == rule.Probe && (rule.Target is null || r.Role == rule.Target) && condition.Evaluate(r.Verdict, r.Findings))
                    .Select(r => (rule, r)));
            }

            if (matches.Count == 0)
            {
                continue;
            }

            var best = matches.OrderByDescending(m => m.Rule.Weight).First();
            var evidence = matches.Select(m => m.Result).Distinct().OrderBy(r => r == best.Result ? 0 : 1).ToList();
            var detail = Detail(best.Rule, best.Result);
            var reason = LocalizedText.Of(
                $"{content.Title.In(Languages.Chinese)}: {detail}",
                $"{content.Title.In(Languages.English)}: {detail}");
            suggestions.Add((new TriageSuggestion(slug, content.Title, best.Rule.Weight, reason, best.Rule.Step, best.Rule, evidence), matches.Count));
        }

        return [.. suggestions
            .OrderByDescending(s => s.Suggestion.Score)
            .ThenByDescending(s => s.Matches)
            .ThenBy(s => s.Suggestion.Slug, StringComparer.Ordinal)
            .Select(s => s.Suggestion)];
    }

    /// <summary>"redis.ping refused on platform-redis": the probe, what it found that the rule reads, the target.</summary>
    public static string Detail(TriageRule rule, TriageResult result)
    {
        var facts = new List<string>();
        if (Condition.TryParse(rule.When, out var condition, out _))
        {
            foreach (var key in condition.Keys)
            {
                if (key == Condition.VerdictKey)
                {
                    facts.Add(result.Verdict);
                }
                else if (result.Findings.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value))
                {
                    facts.Add(key.EndsWith(".error", StringComparison.Ordinal) ? value : $"{key} = {value}");
                }
            }
        }

        return $"{result.Probe} {(facts.Count > 0 ? string.Join(", ", facts.Distinct()) : result.Verdict)} on {result.Target}";
    }
}
