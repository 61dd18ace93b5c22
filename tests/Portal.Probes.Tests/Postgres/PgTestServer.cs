using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Npgsql;
using Portal.Probes.Contract;
using Portal.Testing;

namespace Portal.Probes.Tests.Postgres;

/// <summary>
/// A <c>platform_&lt;random&gt;</c> role with a password and its own database on the shared test
/// server (PORTAL_TEST_PG), for one test class; both dropped afterwards. Also the outside oracle:
/// psql run as a subprocess.
/// </summary>
public sealed class PgTestServer : IAsyncLifetime
{
    private readonly NpgsqlConnectionStringBuilder _admin = new(TestEnvironment.PostgresAdmin);
    private readonly List<string> _roles = [];
    private readonly List<string> _databases = [];

    public string Role { get; } = "platform_" + RandomSuffix();

    public string Password { get; } = "pw-" + RandomSuffix() + RandomSuffix();

    public string Database => Role;

    public string Host => _admin.Host!;

    public int Port => _admin.Port;

    public async Task InitializeAsync()
    {
        await CreateRoleAsync(Role, Password);
        await CreateDatabaseAsync(Database, Role);
    }

    public async Task DisposeAsync()
    {
        await using var admin = await OpenAdminAsync();
        foreach (var db in _databases)
        {
            await ExecAsync(admin, $"DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)");
        }

        foreach (var role in _roles)
        {
            await ExecAsync(admin, $"DROP ROLE IF EXISTS \"{role}\"");
        }
    }

    public static string RandomSuffix() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    /// <summary>A role for one test; dropped with the class.</summary>
    public async Task CreateRoleAsync(string role, string password, string options = "LOGIN")
    {
        await using var admin = await OpenAdminAsync();
        await ExecAsync(admin, $"CREATE ROLE \"{role}\" {options} PASSWORD '{password}'");
        _roles.Add(role);
    }

    public async Task CreateDatabaseAsync(string database, string owner)
    {
        await using var admin = await OpenAdminAsync();
        await ExecAsync(admin, $"CREATE DATABASE \"{database}\" OWNER \"{owner}\"");
        _databases.Insert(0, database);
    }

    /// <summary>The target a runbook would use for the class's role and database.</summary>
    public ProbeTarget Target(string? role = null, string? password = null, string? database = null, int? port = null, bool useTls = false) =>
        ProbeHarness.LocalTarget(TargetKind.Postgres, port: port ?? Port) with
        {
            Database = database ?? Database,
            Username = role ?? Role,
            Password = new Secret(password ?? Password),
            UseTls = useTls,
        };

    /// <summary>The superuser as a target (for checking other roles).</summary>
    public ProbeTarget AdminTarget(string? database = null) => Target(_admin.Username, _admin.Password, database ?? Database);

    public async Task<NpgsqlConnection> OpenAdminAsync(string? database = null)
    {
        var cs = new NpgsqlConnectionStringBuilder(_admin.ConnectionString) { Pooling = false, Database = database ?? _admin.Database };
        var connection = new NpgsqlConnection(cs.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>A connection as the class's role (or another), unpooled, so closing it really closes it.</summary>
    public async Task<NpgsqlConnection> OpenAsync(string? role = null, string? password = null, string? database = null, string application = "test")
    {
        var cs = new NpgsqlConnectionStringBuilder
        {
            Host = Host, Port = Port, Username = role ?? Role, Password = password ?? Password, Database = database ?? Database,
            Pooling = false, ApplicationName = application,
        };
        var connection = new NpgsqlConnection(cs.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public static async Task ExecAsync(NpgsqlConnection c, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>The oracle: <c>psql -Atc</c> as the superuser (or a given role), a program nobody here wrote.</summary>
    public async Task<string> PsqlAsync(string sql, string? database = null, string? role = null, string? password = null)
    {
        var start = new ProcessStartInfo("psql")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "-h", Host, "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", role ?? _admin.Username!,
                     "-d", database ?? _admin.Database!, "-X", "-A", "-t", "-c", sql })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["PGPASSWORD"] = password ?? _admin.Password;
        start.Environment["PGCONNECT_TIMEOUT"] = "5";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"psql failed: {await stderr}");
        return (await stdout).Trim();
    }

    /// <summary>Polls until <paramref name="condition"/> holds, failing after <paramref name="seconds"/>.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, int seconds = 10)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(seconds), $"timed out waiting for {what}");
            await Task.Delay(50);
        }
    }

    /// <summary>A loopback port nobody listens on.</summary>
    public static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
