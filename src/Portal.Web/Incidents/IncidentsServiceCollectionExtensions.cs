namespace Portal.Web.Incidents;

public static class IncidentsServiceCollectionExtensions
{
    /// <summary>Incidents (walkthrough records): the store, the service that drives walkthroughs, the run watcher.</summary>
    public static IServiceCollection AddPortalIncidents(this IServiceCollection services)
    {
        services.AddSingleton<IncidentStore>();
        services.AddSingleton<IncidentChanges>();
        services.AddSingleton<IncidentRunWatcher>();
        services.AddSingleton<WalkthroughService>();
        return services;
    }
}
