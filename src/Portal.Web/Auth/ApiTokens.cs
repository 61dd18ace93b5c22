using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Npgsql;
using Portal.Web.Resilience;

namespace Portal.Web.Auth;

public sealed record ApiTokenInfo(Guid Id, string Username, string Name, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? RevokedAt);

/// <summary>
/// Bearer tokens for API clients and bots: 32 random bytes shown once; only their SHA-256 is
/// stored. Tokens expire and can be revoked. While the portal's database is down, a token this instance
/// accepted before is still accepted until it expires (revoking needs the database anyway).
/// </summary>
public sealed class ApiTokens(NpgsqlDataSource db, TimeProvider time, PortalDegradedState state)
{
    private readonly ConcurrentDictionary<string, (PortalUser User, DateTimeOffset ExpiresAt)> _accepted = new(StringComparer.Ordinal);

    public const string Prefix = "ptl_";
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromDays(30);

    public async Task<(string Token, ApiTokenInfo Info)> IssueAsync(string username, string name, TimeSpan lifetime, CancellationToken ct = default)
    {
        var token = Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var info = new ApiTokenInfo(Guid.CreateVersion7(), username, name, time.GetUtcNow(), time.GetUtcNow() + lifetime, null);
        const string sql = """
            INSERT INTO api_tokens (id, username, name, token_hash, created_at, expires_at)
            VALUES (@Id, @Username, @Name, @Hash, @CreatedAt, @ExpiresAt)
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(sql, new { info.Id, info.Username, info.Name, Hash = Hash(token), info.CreatedAt, info.ExpiresAt }, cancellationToken: ct));
        return (token, info);
    }

    /// <summary>The user a live token belongs to, or null (unknown, expired, revoked, user disabled).</summary>
    public async Task<PortalUser?> ValidateAsync(string token, UserStore users, CancellationToken ct = default)
    {
        if (!token.StartsWith(Prefix, StringComparison.Ordinal) || token.Length > 128)
        {
            return null;
        }

        var hash = Hash(token);
        if (!state.DatabaseDown)
        {
            try
            {
                return await ValidateInDatabaseAsync(hash, users, ct);
            }
            catch (Exception ex) when (DatabaseFaults.IsUnreachable(ex) && !ct.IsCancellationRequested)
            {
                state.DatabaseFailed(ex.Message);
            }
        }

        return _accepted.TryGetValue(hash, out var known) && known.ExpiresAt > time.GetUtcNow()
            ? known.User
            : throw new DatabaseUnavailableException("The portal's database is down and this token was not used on this instance before.");
    }

    private async Task<PortalUser?> ValidateInDatabaseAsync(string hash, UserStore users, CancellationToken ct)
    {
        const string sql = """
            UPDATE api_tokens SET last_used_at = now()
            WHERE token_hash = @hash AND revoked_at IS NULL AND expires_at > now()
            RETURNING username AS Username, expires_at AS ExpiresAt
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<(string Username, DateTime ExpiresAt)?>(new CommandDefinition(sql, new { hash }, cancellationToken: ct));
        if (row is not { } found || await users.FindAsync(found.Username, ct) is not { Disabled: false } user)
        {
            _accepted.TryRemove(hash, out _);
            return null;
        }

        _accepted[hash] = (user, new DateTimeOffset(DateTime.SpecifyKind(found.ExpiresAt, DateTimeKind.Utc)));
        return user;
    }

    public async Task<bool> RevokeAsync(Guid id, CancellationToken ct = default)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE api_tokens SET revoked_at = now() WHERE id = @id AND revoked_at IS NULL", new { id }, cancellationToken: ct)) == 1;
    }

    public async Task<IReadOnlyList<ApiTokenInfo>> ListAsync(string? username, CancellationToken ct = default)
    {
        const string sql = """
            SELECT id, username, name, created_at, expires_at, revoked_at FROM api_tokens
            WHERE @username IS NULL OR username = @username ORDER BY created_at DESC
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(Guid Id, string Username, string Name, DateTime CreatedAt, DateTime ExpiresAt, DateTime? RevokedAt)>(
            new CommandDefinition(sql, new { username }, cancellationToken: ct));
        return [.. rows.Select(r => new ApiTokenInfo(r.Id, r.Username, r.Name, Utc(r.CreatedAt), Utc(r.ExpiresAt), r.RevokedAt is { } v ? Utc(v) : null))];
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
