namespace Portal.Web.Resilience;

/// <summary>Portal:DataPath and the degraded-mode timings (Portal:Resilience:*).</summary>
public sealed class ResilienceOptions
{
    /// <summary>Folder of this instance's runbook snapshot and write journal; each instance needs its own.</summary>
    public string DataPath { get; set; } = "";

    /// <summary>How often the database and Redis are checked.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one check may take before it counts as a failure.</summary>
    public TimeSpan CheckTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the runbook snapshot is refreshed while the database is up.</summary>
    public TimeSpan SnapshotInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often this instance says it is alive (portal_instances.seen_at).</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>An instance not seen for this long is gone: its running probes are marked interrupted.</summary>
    public TimeSpan InstanceSilence { get; set; } = TimeSpan.FromSeconds(20);

    public string JournalPath => Path.Combine(DataPath, "journal.jsonl");

    public string SnapshotPath => Path.Combine(DataPath, "runbook-snapshot.json");

    public static string DefaultDataPath() =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "portal", "data");
}
