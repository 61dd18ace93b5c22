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
    /// database is down. With Portal:DataProtection:CertificatePath (a PKCS#12 file, password in
    /// Portal:DataProtection:CertificatePassword) the keys are encrypted with that certificate before
    /// they are stored, so a copy of the database alone does not reveal target credentials.
    /// </summary>
    public static IServiceCollection AddPortalDataProtection(this IServiceCollection services, IConfiguration configuration)
    {
        var localCopy = new DirectoryInfo(configuration["Portal:DataProtectionKeysPath"] is { Length: > 0 } path
            ? path
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "portal", "keys"));
        var protection = services.AddDataProtection().SetApplicationName("Portal");
        if (configuration["Portal:DataProtection:CertificatePath"] is { Length: > 0 } certificate)
        {
            protection.ProtectKeysWithCertificate(System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12FromFile(
                certificate, configuration["Portal:DataProtection:CertificatePassword"]));
        }

        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(options =>
            options.XmlRepository = new PostgresXmlRepository(
                sp.GetRequiredService<NpgsqlDataSource>(), localCopy, sp.GetRequiredService<ILogger<PostgresXmlRepository>>())));
        return services;
    }
}
