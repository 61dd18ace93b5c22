using Portal.Probes.Contract;

namespace Portal.Web.Inventory;

/// <summary>A target as stored. The password is kept encrypted and is never part of this record.</summary>
public sealed record TargetRecord
{
    public required string Environment { get; init; }

    public required string Name { get; init; }

    public required string Role { get; init; }

    public required TargetKind Kind { get; init; }

    public string? Host { get; init; }

    public int? Port { get; init; }

    public string? BaseUrl { get; init; }

    public string? Database { get; init; }

    public string? Username { get; init; }

    public bool HasPassword { get; init; }

    public bool UseTls { get; init; }

    public IReadOnlyList<string> LogPaths { get; init; } = [];

    public IReadOnlyList<string> Units { get; init; } = [];

    public bool AllowLoopback { get; init; }

    public bool AllowPrivate { get; init; }

    /// <summary>Host targets: the SSH server that reaches the machine; null means the portal's own machine.</summary>
    public string? SshHost { get; init; }

    public int? SshPort { get; init; }

    public string? SshUser { get; init; }

    /// <summary>Whether a private key is stored (the key itself never leaves the store in clear, except to the SSH client).</summary>
    public bool HasSshKey { get; init; }

    /// <summary>The pinned host key fingerprint ("SHA256:…"); set by an admin trusting the key.</summary>
    public string? SshHostKey { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }
}

public sealed record EnvironmentRecord(string Name, string Description, int TargetCount);
