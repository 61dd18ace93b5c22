using Dapper;
using Npgsql;
using Portal.Runbooks.Storage;
using Portal.Web.Runs;

namespace Portal.Web.Resilience;

/// <summary>This portal process: an id new at every start, stamped on the runs it starts.</summary>
public sealed class PortalInstance
{
    public Guid Id { get; } = Guid.CreateVersion7();
}

/// <summary>
/// Says every few seconds that this instance is alive, and marks the runs of instances that stopped
/// saying so (killed, crashed) as interrupted, so their incidents can go on.
/// </summary>
public sealed class InstanceHeartbeat(
    NpgsqlDataSource db, PortalInstance instance, RunStore runs, DatabaseState database, PortalDegradedState state,
    ResilienceOptions options, ILogger<InstanceHeartbeat> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.HeartbeatInterval);
        do
        {
            if (!database.IsReady || state.DatabaseDown)
            {
                continue;
            }

            try
            {
                const string sql = """
                    INSERT INTO portal_instances (id) VALUES (@id) ON CONFLICT (id) DO UPDATE SET seen_at = now();
                    DELETE FROM portal_instances WHERE seen_at < now() - interval '1 day';
                    """;
                await using (var connection = await db.OpenConnectionAsync(stoppingToken))
                {
                    await connection.ExecuteAsync(new CommandDefinition(sql, new { id = instance.Id }, cancellationToken: stoppingToken));
                }

                if (await runs.MarkInterruptedAsync(options.InstanceSilence, stoppingToken) is > 0 and var count)
                {
                    logger.LogWarning("Marked {Count} runs of stopped portal instances as interrupted", count);
                }
            }
            catch (Exception ex) when (DatabaseFaults.IsUnreachable(ex) && !stoppingToken.IsCancellationRequested)
            {
                // The database watch notices and reports it; the next beat tries again.
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
