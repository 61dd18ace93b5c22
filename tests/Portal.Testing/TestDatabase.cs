using Npgsql;
using Xunit;

namespace Portal.Testing;

/// <summary>
/// A fresh, empty PostgreSQL database on the shared test server, dropped on dispose. Each test
/// class gets its own, so tests never see each other's rows.
/// </summary>
public sealed class TestDatabase : IAsyncLifetime
{
    private readonly string _admin;

    /// <summary>A database on the shared test server.</summary>
    // The only public constructor: xUnit class fixtures need exactly one.
    public TestDatabase()
        : this(TestEnvironment.PostgresAdmin)
    {
    }

    private TestDatabase(string adminConnectionString) => _admin = adminConnectionString;

    /// <summary>A database on another server (a test's private one), through its admin connection string.</summary>
    public static TestDatabase On(string adminConnectionString) => new(adminConnectionString);

    public string Name { get; } = $"t_{Guid.NewGuid():N}"[..24];

    public string ConnectionString { get; private set; } = string.Empty;

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await using (var admin = new NpgsqlConnection(_admin))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{Name}\"", admin);
            await create.ExecuteNonQueryAsync();
        }

        ConnectionString = new NpgsqlConnectionStringBuilder(_admin) { Database = Name }.ConnectionString;
        DataSource = NpgsqlDataSource.Create(ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(_admin);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }
}
