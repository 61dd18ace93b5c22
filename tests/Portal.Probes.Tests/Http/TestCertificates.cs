using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Portal.Probes.Tests.Http;

/// <summary>
/// Certificates made in the test with CertificateRequest: a test CA and leaves it signs (valid,
/// expiring soon, expired, wrong host) plus a self-signed one. Nothing is installed in any store:
/// the TLS probe is given the CA as its trust anchor through an internal constructor.
/// </summary>
public static class TestCertificates
{
    private static readonly Lazy<Set> Instance = new(Create);

    public static X509Certificate2 Ca => Instance.Value.Ca;

    public static X509Certificate2 Valid => Instance.Value.Valid;

    public static X509Certificate2 ExpiringSoon => Instance.Value.ExpiringSoon;

    public static X509Certificate2 Expired => Instance.Value.Expired;

    public static X509Certificate2 WrongHost => Instance.Value.WrongHost;

    public static X509Certificate2 SelfSigned => Instance.Value.SelfSigned;

    /// <summary>The CA as a PEM file, for openssl and the blackbox exporter.</summary>
    public static string CaPemPath => Instance.Value.CaPemPath;

    private sealed record Set(X509Certificate2 Ca, X509Certificate2 Valid, X509Certificate2 ExpiringSoon, X509Certificate2 Expired, X509Certificate2 WrongHost, X509Certificate2 SelfSigned, string CaPemPath);

    private static Set Create()
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=Portal Test CA, O=Portal Tests", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var ca = caRequest.CreateSelfSigned(now.AddYears(-2), now.AddYears(10));

        var path = Path.Combine(Path.GetTempPath(), $"portal-test-ca-{Environment.ProcessId}.pem");
        File.WriteAllText(path, ca.ExportCertificatePem());
        return new Set(
            ca,
            Leaf(ca, "CN=localhost", ["localhost"], now.AddDays(-1), now.AddDays(90)),
            Leaf(ca, "CN=localhost", ["localhost"], now.AddDays(-80), now.AddDays(10).AddHours(1)),
            Leaf(ca, "CN=localhost", ["localhost"], now.AddDays(-400), now.AddDays(-3)),
            Leaf(ca, "CN=other.example", ["other.example"], now.AddDays(-1), now.AddDays(90)),
            Leaf(null, "CN=localhost", ["localhost"], now.AddDays(-1), now.AddDays(90)),
            path);
    }

    private static X509Certificate2 Leaf(X509Certificate2? issuer, string subject, string[] names, DateTimeOffset from, DateTimeOffset to)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var n in names)
        {
            san.AddDnsName(n);
        }

        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        X509Certificate2 cert;
        if (issuer is null)
        {
            cert = request.CreateSelfSigned(from, to);
        }
        else
        {
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
            var serial = RandomNumberGenerator.GetBytes(12);
            serial[0] &= 0x7f;
            using var signed = request.Create(issuer, from, to, serial);
            cert = signed.CopyWithPrivateKey(key);
        }

        // Round-trip through PKCS#12 so Kestrel's SslStream gets a key it can use on every platform.
        using (cert)
        {
            return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
        }
    }

    /// <summary>Runs a fixed program with arguments (no shell) and returns exit code, stdout and stderr.</summary>
    public static async Task<(int Code, string Out, string Err)> RunAsync(string program, IEnumerable<string> args, string? stdin = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        await p.StandardInput.WriteAsync(stdin ?? string.Empty);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }
}
