using System.Reflection;
using DbUp;
using DbUp.Engine.Output;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Portal.Runbooks.Storage;

/// <summary>
/// Applies the numbered SQL files in Migrations/ that the journal table (schema_migrations) has
/// not seen yet. Running it again is a no-op; two portals starting at once take turns.
/// </summary>
public sealed class SchemaMigrator(NpgsqlDataSource db, PortalDatabase database, ILogger<SchemaMigrator> logger)
{
    // Any fixed 64-bit number; it names the lock that serialises migrations across instances.
    private const long MigrationLockKey = 0x706f7274616c_01;

    /// <returns>The names of the scripts applied by this call.</returns>
    /// <remarks>DbUp opens its own connections from the full connection string (the data source's hides the password).</remarks>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken ct = default)
    {
        await using var lockConnection = await db.OpenConnectionAsync(ct);
        await using (var take = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", lockConnection))
        {
            take.Parameters.AddWithValue("key", MigrationLockKey);
            await take.ExecuteNonQueryAsync(ct);
        }

        try
        {
            var upgrader = DeployChanges.To
                .PostgresqlDatabase(database.ConnectionString)
                .WithScriptsEmbeddedInAssembly(Assembly.GetExecutingAssembly(), name => name.Contains(".Migrations.", StringComparison.Ordinal))
                .JournalToPostgresqlTable("public", "schema_migrations")
                .WithTransactionPerScript()
                .LogTo(new UpgradeLog(logger))
                .Build();

            var result = upgrader.PerformUpgrade();
            if (!result.Successful)
            {
                throw new InvalidOperationException(
                    $"Migration {result.ErrorScript?.Name ?? "(unknown)"} failed: {result.Error?.Message}", result.Error);
            }

            return [.. result.Scripts.Select(s => s.Name)];
        }
        finally
        {
            await using var release = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", lockConnection);
            release.Parameters.AddWithValue("key", MigrationLockKey);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    /// <summary>DbUp writes string.Format patterns ("{0}"), not message templates: format first.</summary>
    private sealed class UpgradeLog(ILogger logger) : IUpgradeLog
    {
        public void LogTrace(string format, params object[] args) => Write(LogLevel.Trace, null, format, args);

        public void LogDebug(string format, params object[] args) => Write(LogLevel.Debug, null, format, args);

        public void LogInformation(string format, params object[] args) => Write(LogLevel.Information, null, format, args);

        public void LogWarning(string format, params object[] args) => Write(LogLevel.Warning, null, format, args);

        public void LogError(string format, params object[] args) => Write(LogLevel.Error, null, format, args);

        public void LogError(Exception ex, string format, params object[] args) => Write(LogLevel.Error, ex, format, args);

        private void Write(LogLevel level, Exception? ex, string format, object[] args) =>
            logger.Log(level, ex, "{Migration}", string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));
    }
}
