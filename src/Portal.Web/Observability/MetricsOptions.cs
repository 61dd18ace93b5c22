namespace Portal.Web.Observability;

/// <summary>"Portal:Metrics" settings.</summary>
public sealed class MetricsOptions
{
    /// <summary>How often the health checks run in the background to measure PostgreSQL and Redis latency.</summary>
    public TimeSpan DependencyCheckInterval { get; set; } = TimeSpan.FromSeconds(15);
}
