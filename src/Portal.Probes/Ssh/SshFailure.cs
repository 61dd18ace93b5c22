namespace Portal.Probes.Ssh;

/// <summary>Why an SSH connection could not be used, classified for findings (<c>ssh.error</c>) and the targets page.</summary>
public enum SshFailureKind
{
    /// <summary>No fingerprint is pinned yet; an admin must trust the key the server presents.</summary>
    HostKeyUnknown,

    /// <summary>The server presented a key other than the pinned one: refused (possible interception).</summary>
    HostKeyChanged,

    /// <summary>The server did not accept the private key for this user.</summary>
    AuthFailed,

    /// <summary>The private key in the inventory cannot be read.</summary>
    BadKey,
    Timeout,
    Refused,
    Unreachable,

    /// <summary>Anything else the SSH layer reported (protocol error, connection lost).</summary>
    Protocol,
}

/// <summary>A classified SSH failure with a sentence a person can act on.</summary>
public sealed class SshFailureException(SshFailureKind kind, string message, string? presentedFingerprint = null, Exception? inner = null)
    : Exception(message, inner)
{
    public SshFailureKind Kind { get; } = kind;

    /// <summary>The fingerprint the server presented, when the key exchange got that far.</summary>
    public string? PresentedFingerprint { get; } = presentedFingerprint;

    /// <summary>The finding value: host_key_unknown, host_key_changed, auth_failed…</summary>
    public string Code => Codes(Kind);

    public static string Codes(SshFailureKind kind) => kind switch
    {
        SshFailureKind.HostKeyUnknown => "host_key_unknown",
        SshFailureKind.HostKeyChanged => "host_key_changed",
        SshFailureKind.AuthFailed => "auth_failed",
        SshFailureKind.BadKey => "bad_key",
        SshFailureKind.Timeout => "timeout",
        SshFailureKind.Refused => "refused",
        SshFailureKind.Unreachable => "unreachable",
        _ => "protocol",
    };
}
