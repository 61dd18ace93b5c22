using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Npgsql;
using Portal.Probes.Contract;

namespace Portal.Probes.Tests.Postgres;

/// <summary>
/// A PostgreSQL 15 primary and a streaming standby of our own, for the faults the shared server
/// must not have: max_connections = 10 (filled by tests), ssl on with a certificate made here and a
/// role that may only connect over TLS, pg_stat_statements preloaded, and archive_command = false
/// so WAL archiving fails. Runs as user postgres (the binaries refuse root) under /tmp.
/// </summary>
public sealed class PgDedicatedCluster : IAsyncLifetime
{
    public const string Bin = "/usr/lib/postgresql/15/bin";
    public const string Password = "dedicated-pw";
    public const string TlsOnlyRole = "tlsonly";
    public const int MaxConnections = 10;

    private readonly string _root = Path.Combine(Path.GetTempPath(), "portal-pgtest-" + PgTestServer.RandomSuffix());

    public int PrimaryPort { get; private set; }

    public int StandbyPort { get; private set; }

    private string PrimaryDir => Path.Combine(_root, "primary");

    private string StandbyDir => Path.Combine(_root, "standby");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        var pwfile = Path.Combine(_root, "pwfile");
        await File.WriteAllTextAsync(pwfile, Password + "\n");
        await RunAsync("chown", "-R", "postgres:postgres", _root);
        await RunAsPostgresAsync($"{Bin}/initdb", "-D", PrimaryDir, "-U", "postgres", "--pwfile", pwfile, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8");

        // TLS: a self-signed certificate made here, files owned by postgres, key 0600.
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        await File.WriteAllTextAsync(Path.Combine(PrimaryDir, "server.crt"), cert.ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(PrimaryDir, "server.key"), key.ExportPkcs8PrivateKeyPem());
        await RunAsync("chmod", "600", Path.Combine(PrimaryDir, "server.key"));

        PrimaryPort = FreePort();
        await File.AppendAllTextAsync(Path.Combine(PrimaryDir, "postgresql.conf"), $"""

            port = {PrimaryPort}
            listen_addresses = '127.0.0.1'
            unix_socket_directories = '{_root}'
            max_connections = {MaxConnections}
            superuser_reserved_connections = 0
            ssl = on
            shared_preload_libraries = 'pg_stat_statements'
            archive_mode = on
            archive_command = 'false'
            fsync = off

            """);
        var hba = Path.Combine(PrimaryDir, "pg_hba.conf");
        await File.WriteAllTextAsync(hba, $"hostnossl all {TlsOnlyRole} 127.0.0.1/32 reject\n" + await File.ReadAllTextAsync(hba));
        await RunAsync("chown", "-R", "postgres:postgres", _root);
        await RunAsPostgresAsync($"{Bin}/pg_ctl", "-D", PrimaryDir, "-l", Path.Combine(_root, "primary.log"), "-w", "-t", "30", "start");

        await using (var c = await OpenAsync(PrimaryPort))
        {
            await PgTestServer.ExecAsync(c, $"CREATE ROLE {TlsOnlyRole} LOGIN PASSWORD '{Password}'");
            await PgTestServer.ExecAsync(c, "CREATE EXTENSION pg_stat_statements");
        }

        // The standby: a base backup with -R (standby.signal and primary_conninfo), on its own port.
        StandbyPort = FreePort();
        await RunAsPostgresAsync($"{Bin}/pg_basebackup", "-h", "127.0.0.1", "-p", PrimaryPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-U", "postgres", "-D", StandbyDir, "-R", "-X", "stream", "-c", "fast");
        await File.AppendAllTextAsync(Path.Combine(StandbyDir, "postgresql.conf"), $"\nport = {StandbyPort}\nmax_connections = 20\n");
        await RunAsync("chown", "-R", "postgres:postgres", StandbyDir);
        await RunAsPostgresAsync($"{Bin}/pg_ctl", "-D", StandbyDir, "-l", Path.Combine(_root, "standby.log"), "-w", "-t", "30", "start");
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        foreach (var dir in new[] { StandbyDir, PrimaryDir })
        {
            if (File.Exists(Path.Combine(dir, "postmaster.pid")))
            {
                await RunAsPostgresAsync($"{Bin}/pg_ctl", "-D", dir, "-m", "immediate", "-w", "stop");
            }
        }

        Directory.Delete(_root, recursive: true);
    }

    public static ProbeTarget Target(int port, string user = "postgres", bool useTls = false, string database = "postgres") =>
        ProbeHarness.LocalTarget(TargetKind.Postgres, port: port) with
        {
            Database = database,
            Username = user,
            Password = new Secret(Password),
            UseTls = useTls,
        };

    public static async Task<NpgsqlConnection> OpenAsync(int port, string application = "test")
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = port, Username = "postgres", Password = Password, Database = "postgres",
            Pooling = false, ApplicationName = application, SslMode = SslMode.Disable,
        }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async Task<string> PsqlAsync(int port, string sql, string sslmode = "disable")
    {
        var start = new ProcessStartInfo("psql") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-h", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", "postgres", "-d", "postgres", "-X", "-A", "-t", "-c", sql })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["PGPASSWORD"] = Password;
        start.Environment["PGSSLMODE"] = sslmode;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"psql failed: {await stderr}");
        return (await stdout).Trim();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Task RunAsPostgresAsync(string program, params string[] args) => RunAsync("runuser", ["-u", "postgres", "--", program, .. args]);

    private static async Task RunAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["PGPASSWORD"] = Password;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}{await stdout}");
        }
    }
}
