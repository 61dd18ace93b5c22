namespace Portal.Web.Triage;

public static class TriageServiceCollectionExtensions
{
    /// <summary>Triage: the sweep store, the service that runs sweeps and ranks runbooks, change notifications.</summary>
    public static IServiceCollection AddPortalTriage(this IServiceCollection services)
    {
        services.AddSingleton<TriageStore>();
        services.AddSingleton<TriageChanges>();
        services.AddSingleton<TriageService>();
        return services;
    }
}
