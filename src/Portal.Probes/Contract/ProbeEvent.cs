namespace Portal.Probes.Contract;

/// <summary>What a probe emits. The runner stamps each with a run id, sequence number and time.</summary>
public abstract record ProbeEvent;

public enum OutputStream
{
    Stdout,
    Stderr,

    /// <summary>The probe narrating what it does ("connecting to 127.0.0.1:6379…").</summary>
    Info,
}

/// <summary>A line a person reads in the live panel.</summary>
public sealed record OutputLine(string Text, OutputStream Stream = OutputStream.Stdout) : ProbeEvent;

/// <summary>
/// A structured fact the walkthrough branches on, e.g. "pg.error" = "auth_failed",
/// "redis.memory.used_pct" = "96.5", "port.owner.pid" = "4711". Values are invariant-culture text.
/// </summary>
public sealed record Finding(string Key, string Value) : ProbeEvent;

/// <summary>A number for charts and thresholds, e.g. ("connect_ms", 1.7, "ms").</summary>
public sealed record Metric(string Name, double Value, string Unit) : ProbeEvent;

public enum VerdictStatus
{
    Pass,
    Warn,
    Fail,

    /// <summary>The probe itself could not do its job (not the target's fault).</summary>
    Error,
}

/// <summary>Exactly one, last: the outcome in one sentence.</summary>
public sealed record Verdict(VerdictStatus Status, string Summary) : ProbeEvent;
