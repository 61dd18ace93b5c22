using StackExchange.Redis;

namespace Portal.Web.Hosting;

public static class PortalRedis
{
    /// <summary>
    /// Registers the portal's Redis when ConnectionStrings:Redis is set. Without it the portal
    /// runs as a single instance. The connection is made in the background and retried, so a
    /// Redis that is down at start-up does not stop the portal.
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
        return services;
    }
}
