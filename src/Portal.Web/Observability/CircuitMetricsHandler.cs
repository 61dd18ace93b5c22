using Microsoft.AspNetCore.Components.Server.Circuits;

namespace Portal.Web.Observability;

/// <summary>Counts open Blazor circuits (one per interactive browser tab) for /metrics.</summary>
internal sealed class CircuitMetricsHandler(PortalMetrics metrics) : CircuitHandler
{
    public override Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        metrics.CircuitOpened();
        return Task.CompletedTask;
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        metrics.CircuitClosed();
        return Task.CompletedTask;
    }
}
