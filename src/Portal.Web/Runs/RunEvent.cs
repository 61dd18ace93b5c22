using System.Text.Json.Serialization;

namespace Portal.Web.Runs;

/// <summary>
/// One event of a run as it travels to browsers, hub clients and the database: a probe event
/// stamped with the run id, a sequence number (1, 2, 3… per run, no gaps) and a time.
/// </summary>
/// <param name="Type">output | finding | metric | verdict | status.</param>
/// <param name="Text">output: the line; verdict and status: the summary.</param>
/// <param name="Stream">output: stdout | stderr | info.</param>
/// <param name="Key">finding key, metric name, or status (started, cancelled, timeout, dropped…).</param>
/// <param name="Value">finding value; verdict: pass | warn | fail | error.</param>
public sealed record RunEvent(
    Guid RunId,
    long Seq,
    DateTimeOffset At,
    string Type,
    string? Text = null,
    string? Stream = null,
    string? Key = null,
    string? Value = null,
    double? Number = null,
    string? Unit = null)
{
    [JsonIgnore]
    public bool IsTerminal => Type == RunEventTypes.Status && Key is RunStatus.Finished;
}

public static class RunEventTypes
{
    public const string Output = "output";
    public const string Finding = "finding";
    public const string Metric = "metric";
    public const string Verdict = "verdict";
    public const string Status = "status";
}

/// <summary>Run states as stored and reported.</summary>
public static class RunStatus
{
    public const string Running = "running";
    public const string Cancelled = "cancelled";
    public const string Timeout = "timeout";
    public const string Interrupted = "interrupted";

    /// <summary>Key of the last status event of every run: nothing follows it.</summary>
    public const string Finished = "finished";
}
