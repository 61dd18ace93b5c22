namespace Portal.Probes.Contract;

/// <summary>
/// How host probes reach a machine over SSH: key-based authentication only, and the server's host key
/// pinned by its SHA256 fingerprint ("SHA256:base64", as <c>ssh-keygen -lf</c> prints it). Without a
/// pinned fingerprint every connection is refused until an admin trusts the key the server presents.
/// </summary>
public sealed record SshSettings
{
    public required string Host { get; init; }

    public int Port { get; init; } = 22;

    public required string User { get; init; }

    /// <summary>The private key in OpenSSH or PEM format; write-only in the inventory.</summary>
    public required Secret PrivateKey { get; init; }

    /// <summary>The pinned host key fingerprint, "SHA256:…"; null until an admin trusts one.</summary>
    public string? HostKeyFingerprint { get; init; }
}
