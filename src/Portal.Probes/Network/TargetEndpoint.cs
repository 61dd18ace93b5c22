using Portal.Probes.Contract;

namespace Portal.Probes.Network;

/// <summary>Where a target lives on the network, whatever its kind.</summary>
public static class TargetEndpoint
{
    /// <returns>Host and port; for Http/Prometheus targets, from the base URL (default 80/443).</returns>
    public static (string? Host, int? Port) Of(ProbeTarget target)
    {
        if (target.BaseUrl is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return (uri.Host, uri.Port);
        }

        var defaultPort = target.Kind switch
        {
            TargetKind.Postgres => 5432,
            TargetKind.Redis => 6379,
            _ => (int?)null,
        };
        return (target.Host, target.Port ?? defaultPort);
    }
}
