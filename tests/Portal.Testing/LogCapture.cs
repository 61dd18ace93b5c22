using System.Collections.Concurrent;
using Serilog.Core;
using Serilog.Events;

namespace Portal.Testing;

/// <summary>Every log event of a test host, rendered as it would be written (message, properties, exception).</summary>
public sealed class LogCapture : ILogEventSink
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public void Emit(LogEvent logEvent)
    {
        var properties = string.Join(" ", logEvent.Properties.Select(p => $"{p.Key}={p.Value}"));
        _lines.Enqueue($"{logEvent.Level} {logEvent.RenderMessage(System.Globalization.CultureInfo.InvariantCulture)} {properties} {logEvent.Exception}");
    }

    /// <summary>All captured lines as one text, for "never contains" assertions.</summary>
    public string Text => string.Join('\n', _lines);
}
