using Microsoft.Extensions.Options;
using Polly;

namespace Portal.Web.Resilience;

public static class TargetResilienceServiceCollectionExtensions
{
    /// <summary>Per-target circuit breakers and run time limits (Polly), with Polly's telemetry enriched by Microsoft.Extensions.Resilience.</summary>
    public static IServiceCollection AddPortalTargetResilience(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TargetResilienceOptions>()
            .Bind(configuration.GetSection("Portal:Resilience"))
            .Validate(o => !o.Validate().Any(), "Portal:Resilience settings are out of range; see TargetResilienceOptions.Validate.")
            .ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<TargetResilienceOptions>>().Value);
        services.AddResiliencePipelineRegistry<string>();
        services.AddResilienceEnricher();
        services.AddSingleton<TargetBreakers>();
        return services;
    }
}
