using Dapper;
using Npgsql;
using Portal.Probes.Contract;
using Portal.Web.Resilience;

namespace Portal.Web.Inventory;

/// <summary>
/// Environments and their targets in PostgreSQL. Passwords go in encrypted and come out only to probes.
/// While the database is down, reads answer what this instance last read (probes keep running) and changes are refused.
/// </summary>
public sealed class InventoryStore(NpgsqlDataSource db, TargetSecrets secrets, DegradedReads degraded)
{
    public Task<IReadOnlyList<EnvironmentRecord>> ListEnvironmentsAsync(CancellationToken ct = default) =>
        degraded.ReadAsync("the environments", () => ListEnvironmentsFromDatabaseAsync(ct), ct);

    public Task<bool> EnvironmentExistsAsync(string name, CancellationToken ct = default) =>
        degraded.ReadAsync($"environment '{name}'", () => EnvironmentExistsInDatabaseAsync(name, ct), ct);

    public Task<IReadOnlyList<TargetRecord>> ListTargetsAsync(string environment, CancellationToken ct = default) =>
        degraded.ReadAsync($"the targets of '{environment}'", () => ListTargetsFromDatabaseAsync(environment, ct), ct);

    /// <summary>The target with its password decrypted, for a probe about to run. Null when unknown.</summary>
    public Task<ProbeTarget?> ResolveAsync(string environment, string name, CancellationToken ct = default) =>
        degraded.ReadAsync($"target {environment}/{name}", () => ResolveFromDatabaseAsync(environment, name, ct), ct);

    private async Task<IReadOnlyList<EnvironmentRecord>> ListEnvironmentsFromDatabaseAsync(CancellationToken ct)
    {
        const string sql = """
            SELECT e.name, e.description, count(t.name)::int AS target_count
            FROM environments e LEFT JOIN targets t ON t.environment = e.name
            GROUP BY e.name, e.description ORDER BY e.name
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(string Name, string Description, int TargetCount)>(new CommandDefinition(sql, cancellationToken: ct));
        return [.. rows.Select(r => new EnvironmentRecord(r.Name, r.Description, r.TargetCount))];
    }

    public async Task EnsureEnvironmentAsync(string name, string description, CancellationToken ct = default)
    {
        degraded.EnsureWritable();
        const string sql = "INSERT INTO environments (name, description) VALUES (@name, @description) ON CONFLICT (name) DO NOTHING";
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(sql, new { name, description }, cancellationToken: ct));
    }

    private async Task<bool> EnvironmentExistsInDatabaseAsync(string name, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM environments WHERE name = @name)", new { name }, cancellationToken: ct));
    }

    private async Task<IReadOnlyList<TargetRecord>> ListTargetsFromDatabaseAsync(string environment, CancellationToken ct)
    {
        var sql = $"SELECT {Columns} FROM targets WHERE environment = @environment ORDER BY name";
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<TargetRow>(new CommandDefinition(sql, new { environment }, cancellationToken: ct));
        return [.. rows.Select(r => r.ToRecord())];
    }

    public async Task<TargetRecord?> GetTargetAsync(string environment, string name, CancellationToken ct = default) =>
        (await GetRowAsync(environment, name, ct))?.ToRecord();

    private async Task<ProbeTarget?> ResolveFromDatabaseAsync(string environment, string name, CancellationToken ct)
    {
        var row = await GetRowAsync(environment, name, ct);
        if (row is null)
        {
            return null;
        }

        var record = row.ToRecord();
        return new ProbeTarget
        {
            Environment = record.Environment,
            Name = record.Name,
            Role = record.Role,
            Kind = record.Kind,
            Host = record.Host,
            Port = record.Port,
            BaseUrl = record.BaseUrl,
            Database = record.Database,
            Username = record.Username,
            Password = row.PasswordProtected is { } p ? new Secret(secrets.Unprotect(p)) : null,
            UseTls = record.UseTls,
            LogPaths = record.LogPaths,
            Units = record.Units,
            AllowLoopback = record.AllowLoopback,
            AllowPrivate = record.AllowPrivate,
            Ssh = record.SshHost is { } sshHost && record.SshUser is { } sshUser && row.SshKeyProtected is { } key
                ? new SshSettings
                {
                    Host = sshHost,
                    Port = record.SshPort ?? 22,
                    User = sshUser,
                    PrivateKey = new Secret(secrets.Unprotect(key)),
                    HostKeyFingerprint = record.SshHostKey,
                }
                : null,
        };
    }

    /// <summary>Pins the host key an admin trusted. False when the target does not exist.</summary>
    public async Task<bool> TrustHostKeyAsync(string environment, string name, string fingerprint, CancellationToken ct = default)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE targets SET ssh_host_key = @fingerprint, updated_at = now() WHERE environment = @environment AND name = @name",
            new { environment, name, fingerprint }, cancellationToken: ct)) > 0;
    }

    /// <summary>
    /// Creates or replaces a target. <paramref name="password"/>: null keeps the stored one, empty
    /// removes it, anything else replaces it (write-only: it is never read back out).
    /// </summary>
    public Task UpsertTargetAsync(TargetRecord target, string? password, CancellationToken ct = default) =>
        UpsertTargetAsync(target, password, sshKey: null, keepHostKey: true, ct);

    /// <param name="sshKey">Like <paramref name="password"/>: null keeps, empty removes, anything else replaces.</param>
    /// <param name="keepHostKey">Keep the pinned fingerprint (unless the SSH server itself changed); false takes the record's.</param>
    public async Task UpsertTargetAsync(TargetRecord target, string? password, string? sshKey, bool keepHostKey, CancellationToken ct = default)
    {
        degraded.EnsureWritable();
        const string sql = """
            INSERT INTO targets (environment, name, role, kind, host, port, base_url, database, username, password_protected,
                                 use_tls, log_paths, units, allow_loopback, allow_private,
                                 ssh_host, ssh_port, ssh_user, ssh_key_protected, ssh_host_key, updated_at)
            VALUES (@Environment, @Name, @Role, @Kind, @Host, @Port, @BaseUrl, @Database, @Username, @Password,
                    @UseTls, @LogPaths, @Units, @AllowLoopback, @AllowPrivate,
                    @SshHost, @SshPort, @SshUser, @SshKey, @SshHostKey, now())
            ON CONFLICT (environment, name) DO UPDATE SET
                role = excluded.role, kind = excluded.kind, host = excluded.host, port = excluded.port,
                base_url = excluded.base_url, database = excluded.database, username = excluded.username,
                password_protected = CASE WHEN @KeepPassword THEN targets.password_protected ELSE excluded.password_protected END,
                use_tls = excluded.use_tls, log_paths = excluded.log_paths, units = excluded.units,
                allow_loopback = excluded.allow_loopback, allow_private = excluded.allow_private,
                ssh_host = excluded.ssh_host, ssh_port = excluded.ssh_port, ssh_user = excluded.ssh_user,
                ssh_key_protected = CASE WHEN @KeepSshKey THEN targets.ssh_key_protected ELSE excluded.ssh_key_protected END,
                -- a pin belongs to one server: it is kept only while host and port stay the same
                ssh_host_key = CASE WHEN @KeepHostKey AND targets.ssh_host IS NOT DISTINCT FROM excluded.ssh_host
                                         AND targets.ssh_port IS NOT DISTINCT FROM excluded.ssh_port
                                    THEN targets.ssh_host_key ELSE excluded.ssh_host_key END,
                updated_at = now()
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(sql, new
        {
            target.Environment,
            target.Name,
            target.Role,
            Kind = KindName(target.Kind),
            target.Host,
            target.Port,
            target.BaseUrl,
            target.Database,
            target.Username,
            Password = string.IsNullOrEmpty(password) ? null : secrets.Protect(password),
            KeepPassword = password is null,
            target.UseTls,
            LogPaths = target.LogPaths.ToArray(),
            Units = target.Units.ToArray(),
            target.AllowLoopback,
            target.AllowPrivate,
            target.SshHost,
            target.SshPort,
            target.SshUser,
            SshKey = string.IsNullOrEmpty(sshKey) ? null : secrets.Protect(sshKey),
            KeepSshKey = sshKey is null,
            target.SshHostKey,
            KeepHostKey = keepHostKey,
        }, cancellationToken: ct));
    }

    public async Task<bool> DeleteTargetAsync(string environment, string name, CancellationToken ct = default)
    {
        degraded.EnsureWritable();
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM targets WHERE environment = @environment AND name = @name", new { environment, name }, cancellationToken: ct)) > 0;
    }

    public static string KindName(TargetKind kind) => kind.ToString().ToLowerInvariant();

    private async Task<TargetRow?> GetRowAsync(string environment, string name, CancellationToken ct)
    {
        var sql = $"SELECT {Columns} FROM targets WHERE environment = @environment AND name = @name";
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<TargetRow>(new CommandDefinition(sql, new { environment, name }, cancellationToken: ct));
    }

    private const string Columns = $"""
        environment AS {nameof(TargetRow.Environment)}, name AS {nameof(TargetRow.Name)}, role AS {nameof(TargetRow.Role)},
        kind AS {nameof(TargetRow.Kind)}, host AS {nameof(TargetRow.Host)}, port AS {nameof(TargetRow.Port)},
        base_url AS {nameof(TargetRow.BaseUrl)}, database AS {nameof(TargetRow.Database)}, username AS {nameof(TargetRow.Username)},
        password_protected AS {nameof(TargetRow.PasswordProtected)}, use_tls AS {nameof(TargetRow.UseTls)},
        log_paths AS {nameof(TargetRow.LogPaths)}, units AS {nameof(TargetRow.Units)},
        allow_loopback AS {nameof(TargetRow.AllowLoopback)}, allow_private AS {nameof(TargetRow.AllowPrivate)},
        ssh_host AS {nameof(TargetRow.SshHost)}, ssh_port AS {nameof(TargetRow.SshPort)}, ssh_user AS {nameof(TargetRow.SshUser)},
        ssh_key_protected AS {nameof(TargetRow.SshKeyProtected)}, ssh_host_key AS {nameof(TargetRow.SshHostKey)},
        updated_at AS {nameof(TargetRow.UpdatedAt)}
        """;

    private sealed class TargetRow
    {
        public string Environment { get; init; } = "";
        public string Name { get; init; } = "";
        public string Role { get; init; } = "";
        public string Kind { get; init; } = "";
        public string? Host { get; init; }
        public int? Port { get; init; }
        public string? BaseUrl { get; init; }
        public string? Database { get; init; }
        public string? Username { get; init; }
        public string? PasswordProtected { get; init; }
        public bool UseTls { get; init; }
        public string[] LogPaths { get; init; } = [];
        public string[] Units { get; init; } = [];
        public bool AllowLoopback { get; init; }
        public bool AllowPrivate { get; init; }
        public DateTime UpdatedAt { get; init; }
        public string? SshHost { get; init; }
        public int? SshPort { get; init; }
        public string? SshUser { get; init; }
        public string? SshKeyProtected { get; init; }
        public string? SshHostKey { get; init; }

        public TargetRecord ToRecord() => new()
        {
            Environment = Environment,
            Name = Name,
            Role = Role,
            Kind = Enum.Parse<TargetKind>(Kind, ignoreCase: true),
            Host = Host,
            Port = Port,
            BaseUrl = BaseUrl,
            Database = Database,
            Username = Username,
            HasPassword = PasswordProtected is not null,
            UseTls = UseTls,
            LogPaths = LogPaths,
            Units = Units,
            AllowLoopback = AllowLoopback,
            AllowPrivate = AllowPrivate,
            SshHost = SshHost,
            SshPort = SshPort,
            SshUser = SshUser,
            HasSshKey = SshKeyProtected is not null,
            SshHostKey = SshHostKey,
            UpdatedAt = new DateTimeOffset(DateTime.SpecifyKind(UpdatedAt, DateTimeKind.Utc)),
        };
    }
}
