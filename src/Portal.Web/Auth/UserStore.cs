using Dapper;
using Npgsql;

namespace Portal.Web.Auth;

public sealed record PortalUser(string Username, string DisplayName, string Role, string PasswordHash, int FailedCount,
    DateTimeOffset? LockedUntil, bool Disabled, DateTimeOffset CreatedAt);

/// <summary>Users in PostgreSQL. Passwords arrive hashed; this store never sees one in clear text.</summary>
public sealed class UserStore(NpgsqlDataSource db)
{
    public async Task<PortalUser?> FindAsync(string username, CancellationToken ct = default)
    {
        var sql = $"SELECT {Columns} FROM users WHERE username = @username";
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<UserRow>(new CommandDefinition(sql, new { username }, cancellationToken: ct));
        return row?.ToUser();
    }

    public async Task<IReadOnlyList<PortalUser>> ListAsync(CancellationToken ct = default)
    {
        var sql = $"SELECT {Columns} FROM users ORDER BY username";
        await using var connection = await db.OpenConnectionAsync(ct);
        return [.. (await connection.QueryAsync<UserRow>(new CommandDefinition(sql, cancellationToken: ct))).Select(r => r.ToUser())];
    }

    public async Task<bool> AnyAsync(CancellationToken ct = default)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT EXISTS (SELECT 1 FROM users)", cancellationToken: ct));
    }

    /// <returns>False when the username is taken.</returns>
    public async Task<bool> CreateAsync(string username, string displayName, string role, string passwordHash, CancellationToken ct = default)
    {
        const string sql = """
            INSERT INTO users (username, display_name, role, password_hash) VALUES (@username, @displayName, @role, @passwordHash)
            ON CONFLICT (username) DO NOTHING
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(sql, new { username, displayName, role, passwordHash }, cancellationToken: ct)) == 1;
    }

    public async Task<bool> SetRoleAsync(string username, string role, CancellationToken ct = default) =>
        await ExecuteAsync("UPDATE users SET role = @role WHERE username = @username", new { username, role }, ct) == 1;

    /// <summary>A new password also lifts a lockout.</summary>
    public async Task<bool> SetPasswordHashAsync(string username, string passwordHash, CancellationToken ct = default) =>
        await ExecuteAsync("UPDATE users SET password_hash = @passwordHash, failed_count = 0, locked_until = NULL WHERE username = @username",
            new { username, passwordHash }, ct) == 1;

    public async Task<bool> SetDisabledAsync(string username, bool disabled, CancellationToken ct = default) =>
        await ExecuteAsync("UPDATE users SET disabled = @disabled WHERE username = @username", new { username, disabled }, ct) == 1;

    private async Task<int> ExecuteAsync(string sql, object parameters, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(sql, parameters, cancellationToken: ct));
    }

    public async Task RecordFailureAsync(string username, int lockAfter, TimeSpan lockFor, CancellationToken ct = default)
    {
        const string sql = """
            UPDATE users SET failed_count = failed_count + 1,
                   locked_until = CASE WHEN failed_count + 1 >= @lockAfter THEN now() + @lockFor ELSE locked_until END
            WHERE username = @username
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(sql, new { username, lockAfter, lockFor }, cancellationToken: ct));
    }

    public async Task RecordSuccessAsync(string username, string? rehashed, CancellationToken ct = default)
    {
        const string sql = """
            UPDATE users SET failed_count = 0, locked_until = NULL, password_hash = coalesce(@rehashed, password_hash)
            WHERE username = @username
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(sql, new { username, rehashed }, cancellationToken: ct));
    }

    private const string Columns = $"""
        username AS {nameof(UserRow.Username)}, display_name AS {nameof(UserRow.DisplayName)}, role AS {nameof(UserRow.Role)},
        password_hash AS {nameof(UserRow.PasswordHash)}, failed_count AS {nameof(UserRow.FailedCount)},
        locked_until AS {nameof(UserRow.LockedUntil)}, disabled AS {nameof(UserRow.Disabled)}, created_at AS {nameof(UserRow.CreatedAt)}
        """;

    private sealed class UserRow
    {
        public string Username { get; init; } = "";
        public string DisplayName { get; init; } = "";
        public string Role { get; init; } = "";
        public string PasswordHash { get; init; } = "";
        public int FailedCount { get; init; }
        public DateTime? LockedUntil { get; init; }
        public bool Disabled { get; init; }
        public DateTime CreatedAt { get; init; }

        public PortalUser ToUser() => new(Username, DisplayName, Role, PasswordHash, FailedCount,
            LockedUntil is { } l ? new DateTimeOffset(DateTime.SpecifyKind(l, DateTimeKind.Utc)) : null, Disabled,
            new DateTimeOffset(DateTime.SpecifyKind(CreatedAt, DateTimeKind.Utc)));
    }
}
