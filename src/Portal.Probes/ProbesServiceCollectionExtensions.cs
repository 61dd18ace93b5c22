using Microsoft.Extensions.DependencyInjection;
using Portal.Probes.Contract;
using Portal.Probes.Network;
using Portal.Probes.Probes.Host;
using Portal.Probes.Ssh;

namespace Portal.Probes;

public static class ProbesServiceCollectionExtensions
{
    /// <summary>
    /// Registers every <see cref="IProbe"/> in this assembly (a new probe class is picked up by
    /// being written) and the catalog that looks them up by kind.
    /// </summary>
    public static IServiceCollection AddProbes(this IServiceCollection services)
    {
        foreach (var type in typeof(IProbe).Assembly.GetTypes()
                     .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IProbe).IsAssignableFrom(t)))
        {
            services.AddSingleton(typeof(IProbe), type);
        }

        services.AddSingleton<NetworkGuard>(_ => new NetworkGuard());
        services.AddSingleton(_ => new SshConnections());
        services.AddSingleton<IHostAccessProvider>(sp => new HostAccessProvider(sp.GetRequiredService<SshConnections>()));
        services.AddSingleton<ProbeCatalog>();
        return services;
    }
}
