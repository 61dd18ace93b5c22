using Portal.Runbooks;

namespace Portal.Web.Resilience;

public static class ResilienceServiceCollectionExtensions
{
    /// <summary>
    /// Degraded mode for when the portal's own PostgreSQL is down: the watch that notices it, the runbook
    /// snapshot pages read then, the local journal that keeps walkthrough events, notes, runs and audit
    /// records until it is back, and the instance heartbeat that lets killed instances' runs be closed.
    /// Call after AddRunbooks (it replaces the catalog pages read with one that falls back to the snapshot).
    /// </summary>
    public static IServiceCollection AddPortalResilience(this IServiceCollection services, IConfiguration configuration)
    {
        var options = new ResilienceOptions();
        configuration.GetSection("Portal:Resilience").Bind(options);
        options.DataPath = configuration["Portal:DataPath"] is { Length: > 0 } path ? path : ResilienceOptions.DefaultDataPath();
        if (options.CheckInterval <= TimeSpan.Zero || options.CheckTimeout <= TimeSpan.Zero || options.HeartbeatInterval <= TimeSpan.Zero
            || options.InstanceSilence <= options.HeartbeatInterval)
        {
            throw new InvalidOperationException(
                "Portal:Resilience: CheckInterval, CheckTimeout and HeartbeatInterval must be positive and InstanceSilence longer than HeartbeatInterval.");
        }

        services.AddSingleton(options);
        services.AddSingleton<PortalDegradedState>();
        services.AddSingleton<PortalInstance>();
        services.AddSingleton<DegradedJournal>();
        services.AddSingleton<DegradedReads>();
        services.AddSingleton<RunbookSnapshot>();
        services.AddSingleton<SnapshotRunbookCatalog>();
        services.AddSingleton<IRunbookCatalog>(sp => sp.GetRequiredService<SnapshotRunbookCatalog>());
        services.AddSingleton<JournalReplayer>();
        services.AddHostedService<DatabaseWatch>();
        services.AddHostedService<InstanceHeartbeat>();
        return services;
    }

    /// <summary>
    /// While the database is down, API changes it cannot keep (runbooks, targets, users, tokens) are refused
    /// with 503 and a message that says why; walkthroughs (/api/incidents) and probe runs (/api/runs) go on.
    /// </summary>
    public static IApplicationBuilder UsePortalDegradedGate(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var state = context.RequestServices.GetRequiredService<PortalDegradedState>();
        var request = context.Request;
        if (state.Database is { } outage
            && request.Path.StartsWithSegments("/api")
            && !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
            && !request.Path.StartsWithSegments("/api/incidents") && !request.Path.StartsWithSegments("/api/runs"))
        {
            context.Response.Headers.RetryAfter = "10";
            await Results.Problem(
                title: "The portal's database is down",
                detail: $"{DegradedReads.ReadOnlyMessage} Down since {outage.Since:u}.",
                statusCode: StatusCodes.Status503ServiceUnavailable).ExecuteAsync(context);
            return;
        }

        await next(context);
    });
}
