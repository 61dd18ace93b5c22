using Dapper;
using Npgsql;

namespace Portal.Web.Resilience;

/// <summary>Claims a journal entry's key inside the transaction that replays it: false when it was applied before.</summary>
public static class JournalKeys
{
    public static async Task<bool> ClaimAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid key, string kind, CancellationToken ct)
    {
        const string sql = "INSERT INTO journal_applied (key, kind) VALUES (@key, @kind) ON CONFLICT (key) DO NOTHING";
        return await connection.ExecuteAsync(new CommandDefinition(sql, new { key, kind }, tx, cancellationToken: ct)) == 1;
    }
}
