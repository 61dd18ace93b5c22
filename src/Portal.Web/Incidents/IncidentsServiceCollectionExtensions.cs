using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Portal.Web.Incidents;

public static class IncidentsServiceCollectionExtensions
{
    /// <summary>Incidents (walkthrough records): the store, the service that drives walkthroughs, the run watcher, who is viewing.</summary>
    public static IServiceCollection AddPortalIncidents(this IServiceCollection services)
    {
        services.AddSingleton<IncidentStore>();
        services.AddSingleton<IncidentChanges>();
        // Another implementation (e.g. over Redis, for several instances) registered earlier wins.
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IIncidentPresence, LocalIncidentPresence>();
        services.AddSingleton<IncidentRunWatcher>();
        services.AddSingleton<WalkthroughService>();
        return services;
    }
}
