using Portal.Runbooks;

namespace Portal.Web.Inventory;

public static class InventoryServiceCollectionExtensions
{
    /// <summary>The target inventory (environments -> targets) and its default "local" environment.</summary>
    public static IServiceCollection AddPortalInventory(this IServiceCollection services)
    {
        services.AddSingleton<TargetSecrets>();
        services.AddSingleton<InventoryStore>();
        services.AddSingleton<SshStatusService>();
        services.AddSingleton<IDatabaseSeed, LocalEnvironmentSeeder>();
        return services;
    }

    private sealed class LocalEnvironmentSeeder(InventoryStore store) : IDatabaseSeed
    {
        public Task SeedAsync(CancellationToken ct) => LocalEnvironmentSeed.SeedAsync(store, ct);
    }
}
