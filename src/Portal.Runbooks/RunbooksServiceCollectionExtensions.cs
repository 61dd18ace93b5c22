using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Runbooks.Search;
using Portal.Runbooks.Seed;
using Portal.Runbooks.Storage;

namespace Portal.Runbooks;

public static class RunbooksServiceCollectionExtensions
{
    /// <summary>
    /// Registers the runbook stores on the portal's PostgreSQL, and the start-up step that
    /// migrates the schema and seeds the guide.
    /// </summary>
    public static IServiceCollection AddRunbooks(this IServiceCollection services, string connectionString)
    {
        services.AddSingleton(new PortalDatabase(connectionString));
        services.AddSingleton(_ => new NpgsqlDataSourceBuilder(connectionString) { Name = "portal" }.Build());
        services.AddSingleton<RunbookStore>();
        services.AddSingleton<IRunbookCatalog>(sp => sp.GetRequiredService<RunbookStore>());
        services.AddSingleton<IRunbookSearch, PostgresRunbookSearch>();
        services.AddSingleton<SchemaMigrator>();
        services.AddSingleton<GuideSeeder>();
        services.AddSingleton<IDatabaseSeed>(sp => sp.GetRequiredService<GuideSeeder>());
        services.AddSingleton<DatabaseState>();
        services.AddHostedService<DatabaseStartup>();
        return services;
    }
}
