using Microsoft.AspNetCore.SignalR;

namespace Portal.Web.Observability;

/// <summary>Counts connections to the portal's hubs for /metrics, without touching the hubs themselves.</summary>
internal sealed class HubConnectionMetricsFilter(PortalMetrics metrics) : IHubFilter
{
    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        await next(context);
        // Counted once connected: a connection whose OnConnected failed is never disconnected through here.
        metrics.HubConnected();
    }

    public async Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        try
        {
            await next(context, exception);
        }
        finally
        {
            metrics.HubDisconnected();
        }
    }
}
