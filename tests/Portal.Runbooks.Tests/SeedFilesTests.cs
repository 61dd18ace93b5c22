using Portal.Runbooks.Model;
using Portal.Runbooks.Seed;

namespace Portal.Runbooks.Tests;

/// <summary>The shipped seed files: the whole guide, in both languages, with no dangling references.</summary>
public sealed class SeedFilesTests
{
    private static readonly IReadOnlyList<RunbookDocument> Runbooks = GuideSeeder.LoadRunbooks();

    public static TheoryData<string> Slugs => [.. Runbooks.Select(r => r.Slug)];

    [Fact]
    public void Seed_CoversEveryGuideSection_ByCategory()
    {
        var counts = Runbooks.GroupBy(r => r.Category).ToDictionary(g => g.Key, g => g.Count());

        Assert.Equal(13, Runbooks.Count);
        Assert.Equal(new Dictionary<string, int> { ["common"] = 5, ["performance"] = 3, ["network"] = 2, ["emergency"] = 3 }, counts);
        Assert.Equal(Runbooks.Count, Runbooks.Select(r => r.Slug).Distinct().Count());
    }

    [Fact]
    public void Categories_AreTheGuidesFourChapters_InBothLanguages()
    {
        var categories = GuideSeeder.LoadCategories();

        Assert.Equal(["常见问题诊断", "性能问题诊断", "网络问题诊断", "应急处理流程"], categories.OrderBy(c => c.Position).Select(c => c.Title.In(Languages.Chinese)));
        Assert.All(categories, c => Assert.False(string.IsNullOrWhiteSpace(c.Title.In(Languages.English))));
        Assert.All(Runbooks, r => Assert.Contains(categories, c => c.Key == r.Category));
    }

    [Theory]
    [MemberData(nameof(Slugs))]
    public void Runbook_HasEveryTextInBothLanguages(string slug)
    {
        var runbook = Runbooks.Single(r => r.Slug == slug);
        var texts = new List<(string Where, LocalizedText Text)> { ("title", runbook.Title), ("summary", runbook.Summary) };
        texts.AddRange(runbook.Symptoms.Select((s, i) => ($"symptom {i}", s)));
        foreach (var step in runbook.Steps)
        {
            texts.Add(($"step {step.Id} title", step.Title));
            texts.AddRange(step.Checklist.Select((c, i) => ($"step {step.Id} checklist {i}", c)));
            texts.AddRange(step.Options.Select((o, i) => ($"step {step.Id} option {i}", o.Label)));
        }

        texts.AddRange(runbook.Solutions.SelectMany(s => new[] { ($"solution {s.Id} title", s.Title), ($"solution {s.Id} body", s.Body) }));

        var missing = texts
            .Where(t => Languages.All.Any(l => !t.Text.TryGetValue(l, out var v) || string.IsNullOrWhiteSpace(v)))
            .Select(t => t.Where)
            .ToList();
        Assert.True(missing.Count == 0, $"{slug}: missing a language in {string.Join(", ", missing)}");
        Assert.NotEmpty(runbook.Symptoms);
        Assert.NotEmpty(runbook.Steps);
        Assert.NotEmpty(runbook.Solutions);
    }

    [Theory]
    [MemberData(nameof(Slugs))]
    public void Runbook_EveryBranchAndLinkPointsAtSomething(string slug)
    {
        var runbook = Runbooks.Single(r => r.Slug == slug);
        var stepIds = runbook.Steps.Select(s => s.Id).ToHashSet();
        var solutionIds = runbook.Solutions.Select(s => s.Id).ToHashSet();
        var slugs = Runbooks.Select(r => r.Slug).ToHashSet();

        Assert.Equal(runbook.Steps.Count, stepIds.Count);
        Assert.Equal(runbook.Solutions.Count, solutionIds.Count);
        var targets = runbook.Steps.SelectMany(s => s.Rules.Select(r => r.Goto).Concat(s.Options.Select(o => o.Goto)))
            .Concat(runbook.Steps.Select(s => s.Next).OfType<string>());
        foreach (var target in targets)
        {
            var ok = target.StartsWith("solution:", StringComparison.Ordinal)
                ? solutionIds.Contains(target["solution:".Length..])
                : stepIds.Contains(target);
            Assert.True(ok, $"{slug}: '{target}' points at nothing");
        }

        Assert.All(runbook.Solutions.SelectMany(s => s.Links), link => Assert.Contains(link, slugs));
    }

    [Theory]
    [MemberData(nameof(Slugs))]
    public void Runbook_StepsOfEachKindCarryWhatTheyNeed(string slug)
    {
        foreach (var step in Runbooks.Single(r => r.Slug == slug).Steps)
        {
            switch (step.Kind)
            {
                case StepKind.Probe:
                    Assert.False(string.IsNullOrWhiteSpace(step.Probe?.Kind), $"{slug}/{step.Id}: probe kind");
                    Assert.False(string.IsNullOrWhiteSpace(step.Probe?.Target), $"{slug}/{step.Id}: target role");
                    break;
                case StepKind.Input:
                    Assert.False(string.IsNullOrWhiteSpace(step.Input?.Name), $"{slug}/{step.Id}: input name");
                    break;
                case StepKind.Decision:
                    Assert.NotEmpty(step.Options);
                    break;
            }
        }
    }

    [Fact]
    public void Seed_KeepsTheGuidesOwnCommandsAndWords()
    {
        var commands = Runbooks.SelectMany(r => r.Steps).Select(s => s.Command).OfType<string>().ToList();

        Assert.Contains("netstat -tulpn | grep :8000", commands);
        Assert.Contains("redis-cli -h localhost -p 6379 ping", commands);
        Assert.Contains("curl -v http://localhost:8001/health", commands);
        var redis = Runbooks.Single(r => r.Slug == "redis-connection");
        Assert.Contains(redis.Solutions, s => s.Body.In(Languages.Chinese).Contains("增加maxmemory设置", StringComparison.Ordinal));
    }

    [Fact]
    public void Yaml_WriteThenRead_IsLossless()
    {
        foreach (var runbook in Runbooks)
        {
            var again = RunbookYaml.ReadRunbook(RunbookYaml.Write(runbook));
            Assert.Equal(Storage.RunbookJson.Canonical(runbook), Storage.RunbookJson.Canonical(again));
        }
    }
}
