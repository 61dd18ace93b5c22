using Npgsql;
using Xunit;

namespace Portal.Testing.Servers;

/// <summary>
/// A PostgreSQL 15 server of the test's own (never the shared one), for faults: stop it in the middle
/// of something, start it again on the same port and data dir. Runs as user postgres (the binaries
/// refuse root), trusts loopback connections, listens on 127.0.0.1 only.
/// </summary>
public sealed class PrivatePostgres : IAsyncLifetime
{
    public const string Bin = "/usr/lib/postgresql/15/bin";
    private readonly string _root = Directory.CreateTempSubdirectory("portal-private-pg-").FullName;

    public int Port { get; } = PrivateProcess.FreePort();

    public bool IsRunning { get; private set; }

    private string DataDir => Path.Combine(_root, "data");

    /// <summary>A connection string to <paramref name="database"/> on this server.</summary>
    public string ConnectionString(string database = "postgres") => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1", Port = Port, Username = "postgres", Database = database, Timeout = 3, CommandTimeout = 10,
    }.ConnectionString;

    public async Task InitializeAsync()
    {
        await PrivateProcess.RunAsync("chown", "postgres:postgres", _root);
        await AsPostgresAsync($"{Bin}/initdb", "-D", DataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync");
        await File.AppendAllTextAsync(Path.Combine(DataDir, "postgresql.conf"), $"""

            port = {Port}
            listen_addresses = '127.0.0.1'
            unix_socket_directories = '{_root}'
            fsync = off
            max_connections = 50

            """);
        await PrivateProcess.RunAsync("chown", "-R", "postgres:postgres", _root);
        await StartAsync();
    }

    /// <summary>Starts the server (again) on the same port and data dir; returns once it accepts connections.</summary>
    public async Task StartAsync()
    {
        await AsPostgresAsync($"{Bin}/pg_ctl", "-D", DataDir, "-l", Path.Combine(_root, "server.log"), "-w", "-t", "30", "start");
        IsRunning = true;
    }

    /// <summary>Stops the server at once, as a crash would (open connections are cut).</summary>
    public async Task StopAsync()
    {
        await AsPostgresAsync($"{Bin}/pg_ctl", "-D", DataDir, "-m", "immediate", "-w", "stop");
        IsRunning = false;
    }

    public async Task CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(ConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (File.Exists(Path.Combine(DataDir, "postmaster.pid")))
        {
            await AsPostgresAsync($"{Bin}/pg_ctl", "-D", DataDir, "-m", "immediate", "-w", "stop");
        }

        Directory.Delete(_root, recursive: true);
    }

    private static Task AsPostgresAsync(string program, params string[] args) => PrivateProcess.RunAsync("runuser", ["-u", "postgres", "--", program, .. args]);
}
