namespace Portal.Probes.Contract;

public enum TargetKind
{
    /// <summary>A machine: host-level probes (ports, units, logs, memory, CPU) and TCP/DNS/trace.</summary>
    Host,
    Postgres,
    Redis,

    /// <summary>An HTTP(S) service, e.g. platform-api at http://localhost:8000.</summary>
    Http,
    Prometheus,
}

/// <summary>
/// A concrete thing a probe may reach, from the inventory (environment -> targets). Requests name
/// targets, never free-form addresses.
/// </summary>
public sealed record ProbeTarget
{
    public required string Environment { get; init; }

    public required string Name { get; init; }

    /// <summary>The role runbooks refer to, e.g. "platform-redis".</summary>
    public required string Role { get; init; }

    public required TargetKind Kind { get; init; }

    /// <summary>Host name or address (Postgres, Redis, Host); for Http/Prometheus taken from <see cref="BaseUrl"/>.</summary>
    public string? Host { get; init; }

    public int? Port { get; init; }

    /// <summary>Http and Prometheus targets: "http://localhost:8000".</summary>
    public string? BaseUrl { get; init; }

    public string? Database { get; init; }

    public string? Username { get; init; }

    public Secret? Password { get; init; }

    /// <summary>Connect with TLS (Postgres: SSL Mode=Require; Redis: ssl=true).</summary>
    public bool UseTls { get; init; }

    /// <summary>Log files host probes may read; nothing else.</summary>
    public IReadOnlyList<string> LogPaths { get; init; } = [];

    /// <summary>systemd units host probes may inspect.</summary>
    public IReadOnlyList<string> Units { get; init; } = [];

    /// <summary>May this target's addresses be loopback (127.0.0.0/8, ::1)?</summary>
    public bool AllowLoopback { get; init; }

    /// <summary>May this target's addresses be private (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7)?</summary>
    public bool AllowPrivate { get; init; }

    /// <summary>Host targets: reach the machine over SSH. Null: the portal's own machine.</summary>
    public SshSettings? Ssh { get; init; }

    /// <summary>Every secret value this target carries, for redaction.</summary>
    public IEnumerable<string> SecretValues =>
        new[] { Password?.Reveal(), Ssh?.PrivateKey.Reveal() }.OfType<string>().Where(s => s.Length > 0);
}
