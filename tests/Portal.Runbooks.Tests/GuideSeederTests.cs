using Portal.Runbooks.Model;
using Portal.Runbooks.Seed;
using Portal.Runbooks.Storage;

namespace Portal.Runbooks.Tests;

public sealed class GuideSeederTests : IAsyncLifetime
{
    private readonly DatabaseFixture _db = new();

    public async Task InitializeAsync()
    {
        await _db.InitializeAsync();
        await _db.Migrator.MigrateAsync();
    }

    public Task DisposeAsync() => _db.DisposeAsync();

    [Fact]
    public async Task Seed_FreshDatabase_StoresAll13RunbooksInBothLanguages()
    {
        var result = await _db.Seeder.SeedAsync();
        var runbooks = await _db.Store.ListCurrentAsync();
        var categories = await _db.Store.ListCategoriesAsync();

        Assert.Equal(13, result.Created.Count);
        Assert.Equal(13, runbooks.Count);
        Assert.Equal(4, categories.Count);
        Assert.All(runbooks, r =>
        {
            Assert.Equal(1, r.Version);
            Assert.Equal(VersionSources.Seed, r.Source);
            Assert.False(string.IsNullOrWhiteSpace(r.Content.Title[Languages.Chinese]));
            Assert.False(string.IsNullOrWhiteSpace(r.Content.Title[Languages.English]));
        });
        Assert.Equal("服务启动问题", runbooks.Single(r => r.Slug == "service-start").Content.Title.In("zh"));
    }

    [Fact]
    public async Task Seed_Twice_WritesNoNewVersion()
    {
        await _db.Seeder.SeedAsync();
        var second = await _db.Seeder.SeedAsync();

        Assert.Empty(second.Created);
        Assert.Empty(second.Updated);
        Assert.All(await _db.Store.ListCurrentAsync(), r => Assert.Equal(1, r.Version));
    }

    [Fact]
    public async Task Seed_AfterAPersonEditedARunbook_LeavesTheirVersionAlone()
    {
        await _db.Seeder.SeedAsync();
        var edited = (await _db.Store.GetCurrentAsync("redis-connection"))!.Content;
        edited.Title[Languages.English] = "Redis: our team's version";
        await _db.Store.SaveAsync("redis-connection", edited, 1, "alice", "clarified title", VersionSources.User);

        // A newer guide seed changes the same runbook: the person's edit must still win.
        var newerSeed = GuideSeeder.LoadRunbooks();
        newerSeed.Single(r => r.Slug == "redis-connection").Title[Languages.English] = "Redis (seed v2)";
        var result = await _db.Seeder.SeedAsync(GuideSeeder.LoadCategories(), newerSeed);

        var current = await _db.Store.GetCurrentAsync("redis-connection");
        Assert.Contains("redis-connection", result.KeptEdited);
        Assert.Equal(2, current!.Version);
        Assert.Equal("alice", current.Author);
        Assert.Equal("Redis: our team's version", current.Content.Title.In(Languages.English));
    }

    [Fact]
    public async Task Seed_ChangedSeedForAnUneditedRunbook_AddsAVersionAndKeepsTheOldOne()
    {
        await _db.Seeder.SeedAsync();
        var newerSeed = GuideSeeder.LoadRunbooks();
        newerSeed.Single(r => r.Slug == "tls").Summary[Languages.English] = "Updated guide text.";

        var result = await _db.Seeder.SeedAsync(GuideSeeder.LoadCategories(), newerSeed);

        Assert.Equal(["tls"], result.Updated);
        Assert.Equal(2, (await _db.Store.GetCurrentAsync("tls"))!.Version);
        Assert.NotEqual("Updated guide text.", (await _db.Store.GetVersionAsync("tls", 1))!.Content.Summary.In(Languages.English));
    }
}
