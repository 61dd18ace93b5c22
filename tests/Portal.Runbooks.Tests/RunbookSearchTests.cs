using Portal.Runbooks.Model;
using Portal.Runbooks.Search;
using Portal.Runbooks.Seed;

namespace Portal.Runbooks.Tests;

public sealed class RunbookSearchTests
{
    private static readonly IReadOnlyList<RunbookVersion> Catalog = [.. GuideSeeder.LoadRunbooks()
        .Select(d => new RunbookVersion(d.Slug, 1, d.ToContent(), "guide", "", VersionSources.Seed, DateTimeOffset.UnixEpoch, false))];

    [Theory]
    [InlineData("端口", "service-start")]
    [InlineData("连接池", "database-connection")]
    [InlineData("certificate", "tls")]
    [InlineData("CERTIFICATE", "tls")]
    [InlineData("证书", "tls")]
    [InlineData("Redis", "redis-connection")]
    [InlineData("内存", "high-memory")]
    public void Filter_SymptomWord_RanksTheMatchingRunbookFirst(string query, string expectedSlug)
    {
        var results = RunbookSearch.Filter(Catalog, query);

        Assert.NotEmpty(results);
        Assert.Equal(expectedSlug, results[0].Slug);
    }

    [Fact]
    public void Filter_ChineseSubstring_FindsOnlyRunbooksThatContainIt()
    {
        var results = RunbookSearch.Filter(Catalog, "端口");

        Assert.All(results, r => Assert.True(RunbookSearch.Score(r.Content, ["端口"]) > 0));
        Assert.DoesNotContain(results, r => r.Slug == "high-cpu");
    }

    [Fact]
    public void Filter_SeveralWords_EveryWordMustMatch()
    {
        Assert.Equal(["redis-connection"], RunbookSearch.Filter(Catalog, "redis 内存").Select(r => r.Slug).Take(1));
        Assert.Empty(RunbookSearch.Filter(Catalog, "redis zzzzqqq"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Filter_NoQuery_ReturnsEverything(string? query) =>
        Assert.Equal(Catalog.Count, RunbookSearch.Filter(Catalog, query).Count);

    [Fact]
    public void Filter_NothingMatches_ReturnsEmpty() =>
        Assert.Empty(RunbookSearch.Filter(Catalog, "kubernetes-operator-xyz"));
}
