using Portal.Runbooks.Model;
using Portal.Runbooks.Search;
using Portal.Runbooks.Storage;

namespace Portal.Runbooks.Tests.Authoring;

/// <summary>Full text + pg_trgm search over the seeded guide, against a real PostgreSQL.</summary>
public sealed class PostgresRunbookSearchTests : IAsyncLifetime
{
    private readonly DatabaseFixture _db = new();
    private PostgresRunbookSearch _search = null!;

    public async Task InitializeAsync()
    {
        await _db.InitializeAsync();
        await _db.Migrator.MigrateAsync();
        await _db.Seeder.SeedAsync();
        _search = new PostgresRunbookSearch(_db.Database.DataSource);
    }

    public Task DisposeAsync() => _db.DisposeAsync();

    [Theory]
    [InlineData("端口", "service-start")]
    [InlineData("连接池", "database-connection")]
    [InlineData("certificate", "tls")]
    [InlineData("CERTIFICATE", "tls")]
    [InlineData("证书", "tls")]
    [InlineData("Redis", "redis-connection")]
    [InlineData("内存", "high-memory")]
    public async Task Search_SymptomWord_RanksTheMatchingRunbookFirst(string query, string expectedSlug)
    {
        var hits = await _search.SearchAsync(query);

        Assert.NotEmpty(hits);
        Assert.Equal(expectedSlug, hits[0].Slug);
    }

    [Fact]
    public async Task Search_ChineseSubstringInsideAWord_IsFound()
    {
        // "占用" sits inside "端口占用错误"; no word segmentation is needed.
        var hits = await _search.SearchAsync("口占用");

        Assert.Contains(hits, h => h.Slug == "service-start");
    }

    [Fact]
    public async Task Search_LatinSubstringInsideAWord_IsFoundThroughTrigrams()
    {
        // "axmemor" is neither a word nor a prefix: only the trigram index finds it inside "maxmemory".
        var hits = await _search.SearchAsync("axmemor");

        Assert.Contains(hits, h => h.Slug == "redis-connection" || h.Slug == "high-memory");
    }

    [Fact]
    public async Task Search_StepAndSolutionText_IsSearchedToo()
    {
        var content = (await _db.Store.GetCurrentAsync("tls"))!.Content;
        var edited = RunbookJson.Deserialize<RunbookContent>(RunbookJson.Serialize(content));
        edited.Solutions[0].Body[Languages.English] += " Call the zebracorn team.";
        edited.Steps[0].Body[Languages.Chinese] += " 请联系麒麟小组。";
        await _db.Store.SaveAsync("tls", edited, 1, "alice", "more text", VersionSources.User);

        Assert.Equal(["tls"], (await _search.SearchAsync("zebracorn")).Select(h => h.Slug));
        Assert.Equal(["tls"], (await _search.SearchAsync("麒麟")).Select(h => h.Slug));
        Assert.Equal(2, (await _search.SearchAsync("zebracorn"))[0].Version);
    }

    [Fact]
    public async Task Search_EveryWordMustMatch_AndArchivedRunbooksAreLeftOut()
    {
        Assert.Empty(await _search.SearchAsync("redis nosuchwordanywhere"));
        Assert.Contains(await _search.SearchAsync("证书"), h => h.Slug == "tls");

        await _db.Store.SetArchivedAsync("tls", archived: true);

        Assert.DoesNotContain(await _search.SearchAsync("证书"), h => h.Slug == "tls");
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("'\"\\&|!():*<->")]
    public async Task Search_BlankOrOnlyOperators_ReturnsNothingWithoutError(string query) =>
        Assert.Empty(await _search.SearchAsync(query));
}
