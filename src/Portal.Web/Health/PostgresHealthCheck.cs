using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Portal.Runbooks.Storage;

namespace Portal.Web.Health;

/// <summary>Ready when the portal's PostgreSQL answers and its schema is migrated and seeded.</summary>
public sealed class PostgresHealthCheck(NpgsqlDataSource db, DatabaseState state) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = db.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy($"PostgreSQL does not answer: {ex.Message}");
        }

        return state.IsReady
            ? HealthCheckResult.Healthy("PostgreSQL answers; schema migrated and guide seeded")
            : HealthCheckResult.Unhealthy($"PostgreSQL answers but start-up is not finished: {state.LastError}");
    }
}
