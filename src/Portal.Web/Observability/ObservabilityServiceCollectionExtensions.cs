using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Portal.Web.Observability;

public static class ObservabilityServiceCollectionExtensions
{
    /// <summary>OpenTelemetry metrics (the portal's own, Polly's, ASP.NET Core's and the runtime's) for the Prometheus endpoint.</summary>
    public static IServiceCollection AddPortalMetrics(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection("Portal:Metrics").Get<MetricsOptions>() ?? new MetricsOptions();
        services.AddMetrics();
        services.AddSingleton<DegradedModeGauge>();
        services.AddSingleton<PortalMetrics>();
        services.TryAddEnumerable(ServiceDescriptor.Scoped<CircuitHandler, CircuitMetricsHandler>());
        services.AddSingleton<HubConnectionMetricsFilter>();
        services.Configure<HubOptions>(o => o.AddFilter<HubConnectionMetricsFilter>());
        services.AddSingleton<IHealthCheckPublisher, DependencyHealthPublisher>();
        services.Configure<HealthCheckPublisherOptions>(o =>
        {
            o.Delay = TimeSpan.FromSeconds(5);
            o.Period = options.DependencyCheckInterval;
        });
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("portal"))
            .WithMetrics(m => m
                .AddMeter(PortalMetrics.MeterName, "Polly")
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation()
                .AddPrometheusExporter());
        return services;
    }

    /// <summary>
    /// /metrics in Prometheus text format, for any signed-in viewer: Prometheus scrapes it with a
    /// bearer token of a viewer account. Not anonymous, not even on loopback: a reverse proxy on the
    /// same machine makes every outside request look local, and the metrics name targets and load.
    /// </summary>
    public static IEndpointRouteBuilder MapPortalMetrics(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPrometheusScrapingEndpoint("/metrics").RequireAuthorization(Auth.PortalRoles.Viewer);
        return endpoints;
    }
}
