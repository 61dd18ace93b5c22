namespace Portal.Lab.Platform;

/// <summary>
/// How one lab process is set up; from the environment (Lab__Role=…), so no password shows in `ps`.
/// </summary>
public sealed class LabOptions
{
    /// <summary>platform-api, fine-tuning-service, or squatter (holds a port and answers 404: the port-conflict fault).</summary>
    public string Role { get; set; } = "platform-api";

    public int Port { get; set; } = 44800;

    /// <summary>platform-api only: an HTTPS port whose certificate the tls-expired fault swaps for an expired one.</summary>
    public int TlsPort { get; set; }

    public string Postgres { get; set; } = "";

    public string Redis { get; set; } = "";

    /// <summary>The guide's /var/log/platform/api.log, in the lab's folder.</summary>
    public string LogPath { get; set; } = "";

    /// <summary>platform-api only: where fine-tuning-service answers, e.g. http://localhost:48001.</summary>
    public string FineTuningUrl { get; set; } = "";

    /// <summary>Required on /lab/faults requests (header X-Lab-Token).</summary>
    public string Token { get; set; } = "";

    /// <summary>The memory the process may use (like a container limit); /health says unhealthy above 85 %.</summary>
    public int MemoryLimitMb { get; set; } = 256;

    public bool IsApi => Role == "platform-api";
}
