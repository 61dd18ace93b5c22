using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Portal.Testing;
using Portal.Web.Inventory;

namespace Portal.IntegrationTests;

/// <summary>With a key-encryption certificate configured, the Data Protection keys in PostgreSQL are ciphertext too.</summary>
public sealed class DataProtectionKeyTests : IAsyncLifetime
{
    private const string TargetPassword = "db-pw-at-rest-7Qx";
    private readonly string _pfx = Path.Combine(Path.GetTempPath(), $"portal-kek-{Guid.NewGuid():N}.pfx");
    private readonly string _keys = Path.Combine(Path.GetTempPath(), $"portal-keys-{Guid.NewGuid():N}");
    private readonly PortalHost _host = new();

    public async Task InitializeAsync()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=portal key encryption", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        await File.WriteAllBytesAsync(_pfx, certificate.Export(X509ContentType.Pfx, "kek-pw"));
        _host.Settings["Portal:DataProtection:CertificatePath"] = _pfx;
        _host.Settings["Portal:DataProtection:CertificatePassword"] = "kek-pw";
        _host.Settings["Portal:DataProtectionKeysPath"] = _keys;
        await _host.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        File.Delete(_pfx);
        if (Directory.Exists(_keys))
        {
            Directory.Delete(_keys, recursive: true);
        }
    }

    [Fact]
    public async Task StoredKeys_AreEncryptedWithTheCertificate_AndTargetSecretsStillDecrypt()
    {
        using var put = await _host.CreateClient().PutAsJsonAsync("/api/environments/kek/targets/db", new
        {
            role = "db", kind = "postgres", host = "127.0.0.1", port = 5432, database = "postgres", username = "u", password = TargetPassword, allowLoopback = true,
        });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        await using var connection = await _host.Database.DataSource.OpenConnectionAsync();
        var keys = (await connection.QueryAsync<string>("SELECT xml FROM data_protection_keys")).ToList();
        Assert.NotEmpty(keys);
        Assert.All(keys, xml =>
        {
            Assert.Contains("EncryptedData", xml, StringComparison.Ordinal);
            Assert.DoesNotContain("<masterKey", xml, StringComparison.Ordinal);
        });
        var stored = await connection.ExecuteScalarAsync<string>("SELECT password_protected FROM targets WHERE name = 'db'");
        Assert.DoesNotContain(TargetPassword, stored, StringComparison.Ordinal);
        var target = await _host.Services.GetRequiredService<InventoryStore>().ResolveAsync("kek", "db");
        Assert.Equal(TargetPassword, target?.Password?.Reveal());
    }
}
