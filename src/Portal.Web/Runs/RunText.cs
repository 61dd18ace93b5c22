using System.Globalization;

namespace Portal.Web.Runs;

/// <summary>One line of plain text per event: for copy, download and reports.</summary>
public static class RunText
{
    public static string Format(RunEvent e) => e.Type switch
    {
        RunEventTypes.Output => $"{e.At:HH:mm:ss.fff} {(e.Stream == "stderr" ? "! " : e.Stream == "info" ? "> " : "  ")}{e.Text}",
        RunEventTypes.Finding => $"{e.At:HH:mm:ss.fff} = {e.Key}: {e.Value}",
        RunEventTypes.Metric => $"{e.At:HH:mm:ss.fff} # {e.Key}: {e.Number?.ToString("0.###", CultureInfo.InvariantCulture)} {e.Unit}",
        RunEventTypes.Verdict => $"{e.At:HH:mm:ss.fff} VERDICT {e.Value?.ToUpperInvariant()}: {e.Text}",
        _ => $"{e.At:HH:mm:ss.fff} [{e.Key}{(e.Value is null ? "" : " " + e.Value)}] {e.Text}",
    };
}
