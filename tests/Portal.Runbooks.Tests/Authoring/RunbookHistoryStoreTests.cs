using Portal.Runbooks.Model;
using Portal.Runbooks.Storage;

namespace Portal.Runbooks.Tests.Authoring;

/// <summary>History, revert and archive against a real PostgreSQL.</summary>
public sealed class RunbookHistoryStoreTests : IAsyncLifetime
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
    public async Task ListVersions_AfterTwoSaves_NewestFirstWithAuthorAndNote()
    {
        var content = Copy((await _db.Store.GetCurrentAsync("tls"))!.Content);
        content.Title[Languages.English] = "TLS, edited";
        await _db.Store.SaveAsync("tls", content, 1, "alice", "clearer title", VersionSources.User);

        var history = await _db.Store.ListVersionsAsync("tls");

        Assert.Equal([2, 1], history.Select(h => h.Version));
        Assert.Equal(("alice", "clearer title", VersionSources.User), (history[0].Author, history[0].Note, history[0].Source));
        Assert.Equal(VersionSources.Seed, history[1].Source);
        Assert.Empty(await _db.Store.ListVersionsAsync("no-such-runbook"));
    }

    [Fact]
    public async Task Revert_ToVersionOne_CreatesANewVersionWithTheOldContent()
    {
        var original = (await _db.Store.GetCurrentAsync("high-cpu"))!.Content;
        var edited = Copy(original);
        edited.Steps.RemoveAt(edited.Steps.Count - 1);
        await _db.Store.SaveAsync("high-cpu", edited, 1, "alice", "drop a step", VersionSources.User);

        var reverted = await _db.Store.RevertAsync("high-cpu", 1, 2, "bob", "Revert to version 1");

        var current = (await _db.Store.GetCurrentAsync("high-cpu"))!;
        Assert.Equal(3, reverted);
        Assert.Equal(3, current.Version);
        Assert.Equal("bob", current.Author);
        Assert.Equal(RunbookJson.Hash(original), RunbookJson.Hash(current.Content));
        Assert.NotNull(await _db.Store.GetVersionAsync("high-cpu", 2));
    }

    [Fact]
    public async Task Revert_BasedOnAStaleVersion_IsRefusedAndMissingVersionIsNull()
    {
        var content = Copy((await _db.Store.GetCurrentAsync("high-memory"))!.Content);
        await _db.Store.SaveAsync("high-memory", content, 1, "alice", "same again", VersionSources.User);

        await Assert.ThrowsAsync<RunbookConflictException>(() => _db.Store.RevertAsync("high-memory", 1, 1, "bob", "stale"));
        Assert.Null(await _db.Store.RevertAsync("high-memory", 99, 2, "bob", "nothing there"));
        Assert.Equal(2, (await _db.Store.GetCurrentAsync("high-memory"))!.Version);
    }

    [Fact]
    public async Task Archive_HidesFromTheCatalogKeepsVersions_AndUnarchiveBringsItBack()
    {
        Assert.True(await _db.Store.SetArchivedAsync("tls", archived: true));

        Assert.DoesNotContain(await _db.Store.ListCurrentAsync(), r => r.Slug == "tls");
        Assert.Contains(await _db.Store.ListCurrentAsync(includeArchived: true), r => r.Slug == "tls" && r.Archived);
        Assert.True((await _db.Store.GetCurrentAsync("tls"))!.Archived);
        Assert.Single(await _db.Store.ListVersionsAsync("tls"));

        Assert.True(await _db.Store.SetArchivedAsync("tls", archived: false));
        Assert.Contains(await _db.Store.ListCurrentAsync(), r => r.Slug == "tls");
        Assert.False(await _db.Store.SetArchivedAsync("no-such-runbook", archived: true));
    }

    [Fact]
    public async Task Save_NewSlugBasedOnZero_CreatesVersionOne()
    {
        var content = Copy((await _db.Store.GetCurrentAsync("tls"))!.Content);

        var version = await _db.Store.SaveAsync("tls-copy", content, 0, "alice", "new runbook", VersionSources.User);

        Assert.Equal(1, version);
        await Assert.ThrowsAsync<RunbookConflictException>(() => _db.Store.SaveAsync("tls-copy", content, 0, "bob", "also new", VersionSources.User));
    }

    private static RunbookContent Copy(RunbookContent content) => RunbookJson.Deserialize<RunbookContent>(RunbookJson.Serialize(content));
}
