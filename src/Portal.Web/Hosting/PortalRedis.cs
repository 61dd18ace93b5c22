using Microsoft.AspNetCore.SignalR;
using Portal.Web.Incidents;
using Portal.Web.Resilience;
using Portal.Web.Runs;
using StackExchange.Redis;

namespace Portal.Web.Hosting;

public static class PortalRedis
{
    /// <summary>
    /// Registers the portal's Redis when ConnectionStrings:Redis is set. Without it the portal
    /// runs as a single instance. The connection is made in the background and retried, so a
    /// Redis that is down at start-up does not stop the portal. With it, instances share: SignalR
    /// messages (the Redis backplane), live run events (<see cref="RedisRunRelay"/>) and incident
    /// changes (<see cref="IncidentChangeRelay"/>); <see cref="RedisWatch"/> reports when it is away.
    /// </summary>
    public static IServiceCollection AddPortalRedis(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString("Redis");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return services;
        }

        var options = ConfigurationOptions.Parse(connectionString);
        options.AbortOnConnectFail = false;
        options.ClientName = "portal";
        services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(options));
        services.AddSingleton<RedisRunRelay>();
        services.AddHostedService<IncidentChangeRelay>();
        services.AddHostedService<RedisWatch>();

        var backplane = options.Clone();
        backplane.ClientName = "portal-signalr";
        services.AddSignalR().AddStackExchangeRedis(o =>
        {
            o.Configuration = backplane;
            o.Configuration.ChannelPrefix = RedisChannel.Literal("portal-signalr");
        });
        // Replaces the backplane's lifetime manager: hub connections are not refused while Redis is away.
        services.AddSingleton(typeof(HubLifetimeManager<>), typeof(ResilientHubLifetimeManager<>));
        return services;
    }
}
