using Portal.Runbooks.Engine;
using Portal.Runbooks.Model;
using Portal.Runbooks.Seed;

namespace Portal.Runbooks.Tests.Engine;

/// <summary>Ranking runbooks by the triage rules stored with them, over the guide's own seed.</summary>
public sealed class TriageMatcherTests
{
    private static readonly IReadOnlyList<(string Slug, RunbookContent Content)> Guide =
        [.. GuideSeeder.LoadRunbooks().Select(d => (d.Slug, d.ToContent()))];

    private static TriageResult Result(string probe, string target, string verdict, params (string Key, string Value)[] findings) =>
        new(Guid.NewGuid(), probe, target, target, verdict, findings.ToDictionary(f => f.Key, f => f.Value));

    [Fact]
    public void Rank_RedisRefused_RedisRunbookFirstWithTheGuidesReason()
    {
        var ranked = TriageMatcher.Rank(Guide,
        [
            Result("redis.ping", "platform-redis", "fail", ("redis.error", "refused")),
            Result("http.check", "platform-api", "fail", ("http.health.redis.status", "unhealthy")),
            Result("postgres.connect", "platform-db", "pass"),
        ]);

        var top = Assert.Single(ranked);
        Assert.Equal("redis-connection", top.Slug);
        Assert.Equal("Redis连接问题: redis.ping refused on platform-redis", top.Reason.In(Languages.Chinese));
        Assert.Equal("ping", top.Step);
        Assert.Equal(2, top.Evidence.Count);
    }

    [Fact]
    public void Rank_DatabaseDownAndApiUnhealthy_SpecificRuleOutranksHealthEntry()
    {
        var ranked = TriageMatcher.Rank(Guide,
        [
            Result("http.check", "platform-api", "fail", ("http.health.postgres.status", "unhealthy"), ("http.health.workflows.status", "unhealthy")),
            Result("tcp.connect", "platform-db", "fail", ("tcp.error", "refused")),
        ]);

        Assert.Equal(["database-connection", "workflow-failure"], ranked.Select(r => r.Slug));
        Assert.Equal("db-port", ranked[0].Step);
        Assert.Equal("tcp.connect refused on platform-db", TriageMatcher.Detail(ranked[0].Rule, ranked[0].Evidence[0]));
    }

    [Fact]
    public void Rank_AllHealthy_NothingSuggested()
    {
        var ranked = TriageMatcher.Rank(Guide,
        [
            Result("redis.ping", "platform-redis", "pass", ("redis.ping.avg_ms", "0.2")),
            Result("http.check", "platform-api", "pass", ("http.health.status", "healthy"), ("http.health.postgres.status", "healthy")),
            Result("port.owner", "platform-api", "pass", ("port.owner.pid", "42"), ("port.owner.is_target_service", "true")),
        ]);

        Assert.Empty(ranked);
    }

    [Fact]
    public void Rank_RuleForAnotherRole_DoesNotMatch()
    {
        // component-registration watches fine-tuning-service's /health, not platform-api's.
        var ranked = TriageMatcher.Rank(Guide, [Result("http.check", "platform-api", "fail", ("http.status", "503"))]);

        Assert.DoesNotContain(ranked, r => r.Slug == "component-registration");
    }

    [Fact]
    public void Validate_BadTriageRule_NamesEachProblem()
    {
        var content = GuideSeeder.LoadRunbooks().Single(d => d.Slug == "redis-connection").ToContent();
        content.Triage = [new TriageRule { Probe = "", When = "redis.error ==", Step = "nowhere", Weight = 0 }];

        var problems = RunbookValidator.Validate(content).Select(p => p.Path).ToList();

        Assert.Equal(["triage[0].probe", "triage[0].when", "triage[0].step", "triage[0].weight"], problems);
    }

    [Fact]
    public void Seed_EveryTriageRuleIsValid_AndMostRunbooksHaveOne()
    {
        foreach (var (slug, content) in Guide)
        {
            Assert.Empty(RunbookValidator.Validate(content).Where(p => p.Path.StartsWith("triage", StringComparison.Ordinal)).Select(p => $"{slug}: {p}"));
        }

        Assert.True(Guide.Count(g => g.Content.Triage is { Count: > 0 }) >= 10);
    }

    [Fact]
    public void Yaml_TriageSection_RoundTrips()
    {
        var document = GuideSeeder.LoadRunbooks().Single(d => d.Slug == "tls");

        var again = RunbookYaml.ReadRunbook(RunbookYaml.Write(document));

        var rule = Assert.Single(again.Triage!);
        Assert.Equal(("tls.inspect", "platform-api", "handshake", 85), (rule.Probe, rule.Target, rule.Step, rule.Weight));
    }
}
