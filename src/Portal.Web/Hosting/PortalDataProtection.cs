using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Portal.Web.Hosting;

public static class PortalDataProtection
{
    /// <summary>
    /// Keys shared through PostgreSQL (every instance decrypts what another encrypted), copied to
    /// Portal:DataProtectionKeysPath (default: the user's local application data) for when the
    /// database is down.
    /// </summary>
    public static IServiceCollection AddPortalDataProtection(this IServiceCollection services, IConfiguration configuration)
    {
        var localCopy = new DirectoryInfo(configuration["Portal:DataProtectionKeysPath"] is { Length: > 0 } path
            ? path
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "portal", "keys"));
        services.AddDataProtection().SetApplicationName("Portal");
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(options =>
            options.XmlRepository = new PostgresXmlRepository(
                sp.GetRequiredService<NpgsqlDataSource>(), localCopy, sp.GetRequiredService<ILogger<PostgresXmlRepository>>())));
        return services;
    }
}
