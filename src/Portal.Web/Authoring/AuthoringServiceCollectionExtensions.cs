namespace Portal.Web.Authoring;

public static class AuthoringServiceCollectionExtensions
{
    /// <summary>Runbook editing: validation against the probe catalog, saving, revert, archive, import.</summary>
    public static IServiceCollection AddPortalAuthoring(this IServiceCollection services)
    {
        services.AddSingleton<RunbookEditValidator>();
        services.AddSingleton<RunbookAuthoring>();
        return services;
    }
}
