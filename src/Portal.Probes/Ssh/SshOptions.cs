namespace Portal.Probes.Ssh;

/// <summary>Limits of the SSH layer; the defaults suit an on-call portal talking to a handful of machines.</summary>
public sealed record SshOptions
{
    /// <summary>TCP connect, key exchange and authentication together.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Channels (commands) open at once on one connection; more wait their turn. OpenSSH allows 10 by default (MaxSessions).</summary>
    public int MaxChannels { get; init; } = 6;

    /// <summary>A connection nobody used for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>One short command (cat, stat, readlink…) may take this long.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(20);
}
