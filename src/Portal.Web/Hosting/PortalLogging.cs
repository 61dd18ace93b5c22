using Serilog;
using Serilog.Debugging;
using Serilog.Formatting;
using Serilog.Formatting.Compact;
using Serilog.Formatting.Display;

namespace Portal.Web.Hosting;

public static class PortalLogging
{
    private const string TextTemplate = "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    /// <summary>
    /// Serilog for everything: levels from the "Serilog" configuration section, console output as
    /// text, or as compact JSON (one event per line, for log shippers) when Portal:LogFormat is "json";
    /// also to the file Portal:LogFile when set. Events carry RunId and IncidentId where they apply.
    /// </summary>
    /// <remarks>
    /// Logging never takes the portal down: Serilog isolates each sink and reports a sink's failure
    /// (a full disk, a file that became unwritable) to its SelfLog, which goes to stderr here; a log
    /// file that cannot be opened at start-up is said once on stderr and left out.
    /// </remarks>
    public static WebApplicationBuilder AddPortalLogging(this WebApplicationBuilder builder)
    {
        var json = string.Equals(builder.Configuration["Portal:LogFormat"], "json", StringComparison.OrdinalIgnoreCase);
        var file = builder.Configuration["Portal:LogFile"];
        SelfLog.Enable(Console.Error);
        builder.Services.AddSerilog((services, logger) =>
        {
            logger.ReadFrom.Configuration(builder.Configuration)
                .ReadFrom.Services(services)
                .Enrich.FromLogContext();
            if (json)
            {
                logger.WriteTo.Console(new RenderedCompactJsonFormatter());
            }
            else
            {
                logger.WriteTo.Console(outputTemplate: TextTemplate, formatProvider: System.Globalization.CultureInfo.InvariantCulture);
            }

            if (!string.IsNullOrWhiteSpace(file) && CanOpen(file))
            {
#pragma warning disable CS0618 // WriteTo.File() offers no way to guard the sink's Dispose; the constructor is still public in 7.x.
                logger.WriteTo.Sink(new GuardedSink(new Serilog.Sinks.File.FileSink(file, Formatter(json), fileSizeLimitBytes: null)));
#pragma warning restore CS0618
            }
        },
        // Each host logs through its own logger, never the process-wide static one: two portals in
        // one process (the tests) would otherwise write into whichever logger was created last.
        preserveStaticLogger: true);
        return builder;
    }

    /// <summary>Serilog isolates a sink's failing writes, not its failing Dispose: a log file on a full disk must not fail the shutdown either.</summary>
    private sealed class GuardedSink(Serilog.Sinks.File.FileSink inner) : Serilog.Core.ILogEventSink, IDisposable
    {
        public void Emit(Serilog.Events.LogEvent logEvent) => inner.Emit(logEvent);

        public void Dispose()
        {
            try
            {
                inner.Dispose();
            }
            catch (IOException ex)
            {
                SelfLog.WriteLine("Closing the log file failed: {0}", ex.Message);
            }
        }
    }

    private static ITextFormatter Formatter(bool json) => json
        ? new RenderedCompactJsonFormatter()
        : new MessageTemplateTextFormatter(TextTemplate, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The file sink throws while being built when its file cannot be opened; the portal starts anyway.</summary>
    private static bool CanOpen(string path)
    {
        try
        {
            if (Path.GetDirectoryName(Path.GetFullPath(path)) is { Length: > 0 } directory)
            {
                Directory.CreateDirectory(directory);
            }

            using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            SelfLog.WriteLine("Portal:LogFile {0} cannot be opened ({1}); logging to the console only.", path, ex.Message);
            return false;
        }
    }
}
