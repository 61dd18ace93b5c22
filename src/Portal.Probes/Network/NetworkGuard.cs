using System.Net;
using System.Net.Sockets;
using Portal.Probes.Contract;

namespace Portal.Probes.Network;

/// <summary>
/// Decides which addresses a probe may reach, after DNS resolution (a name that resolves to a
/// refused address is refused). Link-local and cloud metadata addresses are always refused;
/// loopback and private ranges only where the target allows them. Every probe that opens a
/// connection asks this first, and HTTP probes ask again for every connection (redirects too).
/// </summary>
public sealed class NetworkGuard(Func<string, CancellationToken, Task<IPAddress[]>>? resolver = null)
{
    private static readonly IPAddress[] Metadata =
    [
        IPAddress.Parse("169.254.169.254"), // AWS, GCP, Azure, OpenStack
        IPAddress.Parse("169.254.170.2"),   // AWS ECS task metadata
        IPAddress.Parse("100.100.100.200"), // Alibaba Cloud
        IPAddress.Parse("fd00:ec2::254"),   // AWS IPv6
    ];

    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve = resolver ?? Dns.GetHostAddressesAsync;

    /// <summary>The addresses of <paramref name="host"/> this target may reach, in resolver order.</summary>
    /// <exception cref="AddressRefusedException">Nothing allowed: every address is refused, or the name does not resolve.</exception>
    public async Task<IReadOnlyList<IPAddress>> ResolveAllowedAsync(string host, ProbeTarget target, CancellationToken ct)
    {
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await ResolveAsync(host, ct);
        var allowed = new List<IPAddress>();
        string? lastReason = null;
        foreach (var address in addresses)
        {
            if (Check(address, target) is { } reason)
            {
                lastReason = reason;
            }
            else
            {
                allowed.Add(Normalize(address));
            }
        }

        return allowed.Count > 0
            ? allowed
            : throw new AddressRefusedException(host, lastReason ?? "it did not resolve to any address");
    }

    /// <summary>Null when <paramref name="address"/> is allowed for the target; otherwise why not.</summary>
    public static string? Check(IPAddress address, ProbeTarget target)
    {
        var a = Normalize(address);
        if (Metadata.Contains(a))
        {
            return $"{a} is a cloud metadata address";
        }

        if (a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any) || a.Equals(IPAddress.None) || a.IsIPv6Multicast || IsV4Multicast(a))
        {
            return $"{a} is not a unicast host address";
        }

        if (a.IsIPv6LinkLocal || IsV4LinkLocal(a))
        {
            return $"{a} is link-local";
        }

        if (IPAddress.IsLoopback(a))
        {
            return target.AllowLoopback ? null : $"{a} is loopback and target '{target.Name}' does not allow loopback";
        }

        if (IsPrivate(a))
        {
            return target.AllowPrivate ? null : $"{a} is a private address and target '{target.Name}' does not allow private ranges";
        }

        return null;
    }

    private async Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
    {
        try
        {
            return await _resolve(host, ct);
        }
        catch (SocketException ex)
        {
            throw new AddressRefusedException(host, $"DNS lookup failed: {ex.SocketErrorCode}", ex);
        }
    }

    /// <summary>IPv4-mapped IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address it is.</summary>
    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static bool IsV4LinkLocal(IPAddress a) => a.AddressFamily == AddressFamily.InterNetwork && a.GetAddressBytes() is [169, 254, ..];

    private static bool IsV4Multicast(IPAddress a) => a.AddressFamily == AddressFamily.InterNetwork && a.GetAddressBytes()[0] is >= 224;

    private static bool IsPrivate(IPAddress a)
    {
        var b = a.GetAddressBytes();
        if (a.AddressFamily == AddressFamily.InterNetwork)
        {
            return b[0] == 10
                   || (b[0] == 172 && b[1] is >= 16 and <= 31)
                   || (b[0] == 192 && b[1] == 168)
                   || (b[0] == 100 && b[1] is >= 64 and <= 127) // carrier-grade NAT
                   || b[0] == 0;
        }

        return (b[0] & 0xfe) == 0xfc || a.IsIPv6SiteLocal; // fc00::/7 unique local, fec0::/10
    }
}

/// <summary>A probe was about to reach an address its target does not allow. Nothing was sent.</summary>
public sealed class AddressRefusedException(string host, string reason, Exception? inner = null)
    : Exception($"Refused to connect to '{host}': {reason}.", inner)
{
    public string Host { get; } = host;

    public string Reason { get; } = reason;
}
