using Microsoft.Extensions.Logging.Abstractions;
using Portal.Runbooks.Seed;
using Portal.Runbooks.Storage;
using Portal.Testing;

namespace Portal.Runbooks.Tests;

/// <summary>A fresh database per test class, with the real migrator, store and seeder on it.</summary>
public sealed class DatabaseFixture : IAsyncLifetime
{
    private readonly TestDatabase _database = new();

    public TestDatabase Database => _database;

    public SchemaMigrator Migrator { get; private set; } = null!;

    public RunbookStore Store { get; private set; } = null!;

    public GuideSeeder Seeder { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        Migrator = new SchemaMigrator(_database.DataSource, new PortalDatabase(_database.ConnectionString), NullLogger<SchemaMigrator>.Instance);
        Store = new RunbookStore(_database.DataSource);
        Seeder = new GuideSeeder(Store, NullLogger<GuideSeeder>.Instance);
    }

    public Task DisposeAsync() => _database.DisposeAsync();
}
