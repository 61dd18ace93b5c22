using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Portal.Runbooks.Seed;

namespace Portal.Runbooks.Storage;

/// <summary>
/// Migrates the schema and seeds the guide when the portal starts. The first attempt runs before
/// the portal takes requests; if the database is down then, the portal starts anyway (it is
/// needed most when things are broken) and keeps retrying in the background.
/// </summary>
public sealed class DatabaseStartup(
    SchemaMigrator migrator, IEnumerable<IDatabaseSeed> seeds, DatabaseState state, ILogger<DatabaseStartup> logger) : BackgroundService
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!await TryInitializeAsync(cancellationToken))
        {
            await base.StartAsync(cancellationToken);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested && !await TryInitializeAsync(stoppingToken))
        {
            await Task.Delay(delay, stoppingToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
        }
    }

    private async Task<bool> TryInitializeAsync(CancellationToken ct)
    {
        try
        {
            var applied = await migrator.MigrateAsync(ct);
            foreach (var seed in seeds)
            {
                await seed.SeedAsync(ct);
            }

            state.MarkReady();
            logger.LogInformation("Database ready: {Migrations} migrations applied", applied.Count);
            return true;
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            state.MarkFailed(ex.Message);
            logger.LogError(ex, "Database initialisation failed; retrying in the background");
            return false;
        }
    }
}

/// <summary>Whether the schema is migrated and seeded; readiness reports it.</summary>
public sealed class DatabaseState
{
    private volatile string? _lastError = "not initialised yet";

    public bool IsReady => _lastError is null;

    public string? LastError => _lastError;

    internal void MarkReady() => _lastError = null;

    internal void MarkFailed(string error) => _lastError = error;
}
