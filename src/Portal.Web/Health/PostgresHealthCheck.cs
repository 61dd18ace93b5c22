using System.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Portal.Runbooks.Storage;
using Portal.Web.Observability;

namespace Portal.Web.Health;

/// <summary>Ready when the portal's PostgreSQL answers and its schema is migrated and seeded. Measures the round trip for /metrics.</summary>
public sealed class PostgresHealthCheck(NpgsqlDataSource db, DatabaseState state, PortalMetrics metrics) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = db.CreateCommand("SELECT 1");
            var started = Stopwatch.GetTimestamp();
            await command.ExecuteScalarAsync(cancellationToken);
            metrics.DependencyLatency("postgres", Stopwatch.GetElapsedTime(started));
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
