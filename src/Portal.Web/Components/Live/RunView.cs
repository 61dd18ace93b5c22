using Portal.Web.Runs;

namespace Portal.Web.Components.Live;

/// <summary>
/// What one viewer knows about a run, built from its events: a bounded list of output lines (the
/// oldest are let go, counted, once the cap is reached, so a circuit never grows without end),
/// findings, metrics, the verdict and how it ended. Touched only on the renderer's thread.
/// </summary>
public sealed class RunView(int maxLines = RunView.DefaultMaxLines)
{
    public const int DefaultMaxLines = 10_000;

    private readonly List<RunEvent> _lines = new(Math.Min(maxLines, 1024));

    public IReadOnlyList<RunEvent> Lines => _lines;

    /// <summary>The same lines for Virtualize, which wants an ICollection.</summary>
    internal ICollection<RunEvent> LineCollection => _lines;

    /// <summary>Output lines no longer held here (still in the database: "download").</summary>
    public long HiddenLines { get; private set; }

    public Dictionary<string, string> Findings { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, (double Value, string Unit)> Metrics { get; } = new(StringComparer.Ordinal);

    /// <summary>running, then pass | warn | fail | error | cancelled | timeout | interrupted.</summary>
    public string Status { get; private set; } = RunStatus.Running;

    public string? Summary { get; private set; }

    /// <summary>Latest progress note from the runner while the run runs (e.g. output being dropped).</summary>
    public string? Notice { get; private set; }

    /// <summary>The runner's final word on output it dropped (how many lines); it stays after the run ends.</summary>
    public string? Dropped { get; private set; }

    public long LastSeq { get; private set; }

    public bool IsFinished => Status != RunStatus.Running;

    public void Apply(IReadOnlyList<RunEvent> batch)
    {
        foreach (var e in batch)
        {
            if (e.Seq <= LastSeq)
            {
                continue; // already seen (a resubscription overlapped)
            }

            LastSeq = e.Seq;
            switch (e.Type)
            {
                case RunEventTypes.Output:
                    _lines.Add(e);
                    break;
                case RunEventTypes.Finding:
                    Findings[e.Key!] = e.Value ?? "";
                    break;
                case RunEventTypes.Metric:
                    Metrics[e.Key!] = (e.Number ?? 0, e.Unit ?? "");
                    break;
                case RunEventTypes.Verdict:
                    Summary = e.Text;
                    break;
                case RunEventTypes.Status when e.IsTerminal:
                    Status = e.Value ?? "error";
                    Summary = e.Text;
                    // "Dropping…" is progress and ends with the run; "N lines dropped" (Dropped) is part of
                    // the result and stays.
                    Notice = null;
                    break;
                case RunEventTypes.Status when e.Key is "dropping":
                    Notice = e.Text;
                    break;
                case RunEventTypes.Status when e.Key is "dropped":
                    Notice = null;
                    Dropped = e.Text;
                    break;
            }
        }

        if (_lines.Count > maxLines)
        {
            var excess = _lines.Count - maxLines;
            _lines.RemoveRange(0, excess);
            HiddenLines += excess;
        }
    }
}
