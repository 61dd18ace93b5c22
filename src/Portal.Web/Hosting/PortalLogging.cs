using Serilog;
using Serilog.Formatting.Compact;

namespace Portal.Web.Hosting;

public static class PortalLogging
{
    /// <summary>
    /// Serilog for everything: levels from the "Serilog" configuration section, console output as
    /// text, or as compact JSON (one event per line, for log shippers) when Portal:LogFormat is "json".
    /// </summary>
    public static WebApplicationBuilder AddPortalLogging(this WebApplicationBuilder builder)
    {
        var json = string.Equals(builder.Configuration["Portal:LogFormat"], "json", StringComparison.OrdinalIgnoreCase);
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
                logger.WriteTo.Console(
                    outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}",
                    formatProvider: System.Globalization.CultureInfo.InvariantCulture);
            }
        });
        return builder;
    }
}
