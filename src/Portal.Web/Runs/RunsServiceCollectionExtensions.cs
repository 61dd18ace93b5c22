using Microsoft.Extensions.Options;
using Portal.Probes;
using Portal.Runbooks;

namespace Portal.Web.Runs;

public static class RunsServiceCollectionExtensions
{
    /// <summary>The probe catalog, the runner with its live feeds and store, and the /hubs/runs hub.</summary>
    public static IServiceCollection AddPortalRuns(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddProbes();
        services.AddOptions<RunnerOptions>()
            .Bind(configuration.GetSection("Portal:Runner"))
            .Validate(o => !o.Validate().Any(), "Portal:Runner settings are out of range; see RunnerOptions.Validate.")
            .ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<RunnerOptions>>().Value);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<RunStore>();
        services.AddSingleton<RunRegistry>();
        services.AddSingleton<RunStream>();
        services.AddSingleton<IRunEventSource>(sp => sp.GetRequiredService<RunStream>());
        services.AddSingleton<ProbeRunner>();
        services.AddSingleton<IRunControl>(sp => sp.GetRequiredService<ProbeRunner>());
        services.AddSingleton<IDatabaseSeed, InterruptedRunsCleanup>();
        services.AddHostedService<RunnerShutdown>();
        services.AddSignalR();
        return services;
    }

    public static IEndpointRouteBuilder MapRunsHub(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHub<RunsHub>("/hubs/runs");
        return endpoints;
    }

    /// <summary>On shutdown, running probes are cancelled and recorded as cancelled before the host stops.</summary>
    private sealed class RunnerShutdown(ProbeRunner runner) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => runner.StopAllAsync(TimeSpan.FromSeconds(10));
    }

    private sealed class InterruptedRunsCleanup(RunStore store, Resilience.ResilienceOptions options) : IDatabaseSeed
    {
        public Task SeedAsync(CancellationToken ct) => store.MarkInterruptedAsync(options.InstanceSilence, ct);
    }
}
