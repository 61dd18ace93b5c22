using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Portal.Web.Observability;

/// <summary>
/// Has the health checks run on a timer (not only when /health/ready is asked), so
/// portal.dependency.latency keeps measuring PostgreSQL and Redis; the checks record it themselves.
/// </summary>
internal sealed class DependencyHealthPublisher(ILogger<DependencyHealthPublisher> logger) : IHealthCheckPublisher
{
    public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        foreach (var (name, entry) in report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy))
        {
            logger.LogWarning("Health check {Check} is {Status}: {Description}", name, entry.Status, entry.Description);
        }

        return Task.CompletedTask;
    }
}
