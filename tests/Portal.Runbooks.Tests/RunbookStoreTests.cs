using Portal.Runbooks.Model;
using Portal.Runbooks.Storage;

namespace Portal.Runbooks.Tests;

public sealed class RunbookStoreTests : IAsyncLifetime
{
    private readonly DatabaseFixture _db = new();

    public async Task InitializeAsync()
    {
        await _db.InitializeAsync();
        await _db.Migrator.MigrateAsync();
        await _db.Seeder.SeedAsync();
    }

    public Task DisposeAsync() => _db.DisposeAsync();

    [Fact]
    public async Task Save_BasedOnAnOldVersion_IsRefusedAndWritesNothing()
    {
        var content = (await _db.Store.GetCurrentAsync("tls"))!.Content;
        await _db.Store.SaveAsync("tls", content, 1, "alice", "first", VersionSources.User);

        var conflict = await Assert.ThrowsAsync<RunbookConflictException>(
            () => _db.Store.SaveAsync("tls", content, 1, "bob", "stale", VersionSources.User));

        Assert.Equal(2, conflict.ActualVersion);
        Assert.Equal("alice", (await _db.Store.GetCurrentAsync("tls"))!.Author);
    }

    [Fact]
    public async Task Save_ConcurrentSavesOnTheSameVersion_ExactlyOneWins()
    {
        var content = (await _db.Store.GetCurrentAsync("high-cpu"))!.Content;

        var attempts = Enumerable.Range(0, 8)
            .Select(i => _db.Store.SaveAsync("high-cpu", content, 1, $"user{i}", "race", VersionSources.User));
        var outcomes = await Task.WhenAll(attempts.Select(async t =>
        {
            try
            {
                return await t;
            }
            catch (RunbookConflictException)
            {
                return 0;
            }
        }));

        Assert.Single(outcomes, v => v == 2);
        Assert.Equal(2, (await _db.Store.GetCurrentAsync("high-cpu"))!.Version);
    }

    [Fact]
    public async Task GetVersion_OldVersion_StillReadsAsItWas()
    {
        var original = (await _db.Store.GetCurrentAsync("high-memory"))!;
        var changed = RunbookJson.Deserialize<RunbookContent>(RunbookJson.Serialize(original.Content));
        changed.Title[Languages.Chinese] = "内存使用过高（已修改）";
        await _db.Store.SaveAsync("high-memory", changed, 1, "alice", "edit", VersionSources.User);

        var v1 = await _db.Store.GetVersionAsync("high-memory", 1);
        var v2 = await _db.Store.GetVersionAsync("high-memory", 2);

        Assert.Equal("内存使用过高", v1!.Content.Title.In(Languages.Chinese));
        Assert.Equal("内存使用过高（已修改）", v2!.Content.Title.In(Languages.Chinese));
        Assert.Null(await _db.Store.GetVersionAsync("high-memory", 3));
    }

    [Fact]
    public async Task GetCurrent_UnknownSlug_ReturnsNull() =>
        Assert.Null(await _db.Store.GetCurrentAsync("no-such-runbook"));

    [Fact]
    public async Task Content_RoundTripsThroughJsonb_Unchanged()
    {
        var seed = Seed.GuideSeeder.LoadRunbooks().Single(r => r.Slug == "workflow-failure").ToContent();

        var stored = (await _db.Store.GetCurrentAsync("workflow-failure"))!.Content;

        Assert.Equal(RunbookJson.Canonical(seed), RunbookJson.Canonical(stored));
        Assert.Equal(RunbookJson.Hash(seed), RunbookJson.Hash(stored));
    }
}
