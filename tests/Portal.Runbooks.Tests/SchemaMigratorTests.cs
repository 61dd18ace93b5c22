using Npgsql;

namespace Portal.Runbooks.Tests;

public sealed class SchemaMigratorTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Migrate_Twice_SecondRunAppliesNothingAndKeepsTheJournal()
    {
        var first = await db.Migrator.MigrateAsync();
        var second = await db.Migrator.MigrateAsync();

        Assert.Contains(first, name => name.EndsWith("0001_runbooks.sql", StringComparison.Ordinal));
        Assert.Empty(second);
        await using var count = db.Database.DataSource.CreateCommand("SELECT count(*) FROM schema_migrations");
        Assert.Equal((long)first.Count, (long)(await count.ExecuteScalarAsync())!);
        await using var tables = db.Database.DataSource.CreateCommand(
            "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('runbooks', 'runbook_versions', 'categories')");
        Assert.Equal(3L, (long)(await tables.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Migrate_TwoPortalsAtOnce_BothSucceed()
    {
        var results = await Task.WhenAll(db.Migrator.MigrateAsync(), db.Migrator.MigrateAsync());

        Assert.All(results, r => Assert.True(r.Count <= 1));
    }

    [Fact]
    public async Task RunbookVersion_OnceWritten_CannotBeChangedOrDeleted()
    {
        await db.Migrator.MigrateAsync();
        await db.Seeder.SeedAsync();

        await using var update = db.Database.DataSource.CreateCommand("UPDATE runbook_versions SET note = 'rewritten history'");
        var updateError = await Assert.ThrowsAsync<PostgresException>(() => update.ExecuteNonQueryAsync());
        await using var delete = db.Database.DataSource.CreateCommand("DELETE FROM runbook_versions");
        var deleteError = await Assert.ThrowsAsync<PostgresException>(() => delete.ExecuteNonQueryAsync());

        Assert.Contains("immutable", updateError.MessageText, StringComparison.Ordinal);
        Assert.Contains("immutable", deleteError.MessageText, StringComparison.Ordinal);
    }
}
