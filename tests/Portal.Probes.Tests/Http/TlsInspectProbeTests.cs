using System.Globalization;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Portal.Probes.Contract;
using Portal.Probes.Probes.Http;

namespace Portal.Probes.Tests.Http;

public sealed partial class TlsInspectProbeTests
{
    private readonly TlsInspectProbe _trustingTestCa = new([TestCertificates.Ca]);
    private readonly TlsInspectProbe _systemTrust = new();

    internal static Task<TestWebServer> HttpsAsync(X509Certificate2 certificate, SslProtocols protocols = SslProtocols.None) =>
        TestWebServer.StartAsync(
            app => app.MapGet("/health", () => "ok"),
            certificate: certificate,
            chain: [TestCertificates.Ca],
            protocols: protocols);

    internal static Uri Localhost(TestWebServer server) => new($"https://localhost:{server.Port}");

    private static int Int(ProbeResult r, string key) => int.Parse(r.Findings[key], CultureInfo.InvariantCulture);

    [Fact]
    public async Task Run_ValidCertificateFromATrustedCa_PassesWithTheWholeChain()
    {
        await using var server = await HttpsAsync(TestCertificates.Valid);

        var result = await ProbeHarness.RunAsync(_trustingTestCa, TestWebServer.Target(Localhost(server)));

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("ok", result.Findings["tls.handshake"]);
        Assert.Equal("true", result.Findings["tls.hostname_match"]);
        Assert.Equal("false", result.Findings["tls.expired"]);
        Assert.Equal("true", result.Findings["tls.trusted"]);
        Assert.Equal("2", result.Findings["tls.chain_length"]);
        Assert.InRange(Int(result, "tls.days_left"), 88, 90);
        Assert.Equal("TLSv1.3", result.Findings["tls.protocol"]);
        Assert.Equal("h2", result.Findings["tls.alpn"]);
        Assert.Equal("true", result.Findings["tls.tls12"]);
        Assert.Equal("true", result.Findings["tls.tls13"]);
        Assert.False(result.Findings.ContainsKey("tls.error"));
        Assert.Contains("CN=Portal Test CA", result.Output, StringComparison.Ordinal);
        Assert.Contains("DNS:localhost", result.Output, StringComparison.Ordinal);
        Assert.Contains(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(TestCertificates.Valid.RawData)), result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ValidCertificate_AgreesWithOpensslOnProtocolAndExpiry()
    {
        await using var server = await HttpsAsync(TestCertificates.Valid);
        var result = await ProbeHarness.RunAsync(_trustingTestCa, TestWebServer.Target(Localhost(server)));

        var sclient = await TestCertificates.RunAsync("openssl", ["s_client", "-connect", $"127.0.0.1:{server.Port}", "-servername", "localhost"], stdin: string.Empty);
        var protocol = ProtocolLine().Match(sclient.Out);
        Assert.True(protocol.Success, sclient.Out);
        Assert.Equal(protocol.Groups[1].Value, result.Findings["tls.protocol"]);

        var pem = PemBlock().Match(sclient.Out).Value;
        var enddate = await TestCertificates.RunAsync("openssl", ["x509", "-noout", "-enddate"], stdin: pem);
        var notAfter = DateTime.ParseExact(
            Regex.Replace(enddate.Out.Trim().Replace("notAfter=", string.Empty, StringComparison.Ordinal), @"\s+", " "),
            "MMM d HH:mm:ss yyyy 'GMT'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        Assert.Equal(notAfter.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), result.Findings["tls.not_after"]);
    }

    [Fact]
    public async Task Run_TestCaWithoutTrustAnchor_FailsAsUnknownCa()
    {
        await using var server = await HttpsAsync(TestCertificates.Valid);

        var result = await ProbeHarness.RunAsync(_systemTrust, TestWebServer.Target(Localhost(server)));

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("unknown_ca", result.Findings["tls.error"]);
        Assert.Equal("false", result.Findings["tls.trusted"]);
        Assert.Equal("true", result.Findings["tls.hostname_match"]);
    }

    [Fact]
    public async Task Run_ExpiredCertificate_FailsAsExpiredWithNegativeDaysLeft()
    {
        await using var server = await HttpsAsync(TestCertificates.Expired);

        var result = await ProbeHarness.RunAsync(_trustingTestCa, TestWebServer.Target(Localhost(server)));

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("true", result.Findings["tls.expired"]);
        Assert.Equal("expired", result.Findings["tls.error"]);
        Assert.InRange(Int(result, "tls.days_left"), -4, -3);
        Assert.Contains("expired", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_CertificateForAnotherHost_FailsAsNameMismatch()
    {
        await using var server = await HttpsAsync(TestCertificates.WrongHost);

        var result = await ProbeHarness.RunAsync(_trustingTestCa, TestWebServer.Target(Localhost(server)));

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("false", result.Findings["tls.hostname_match"]);
        Assert.Equal("name_mismatch", result.Findings["tls.error"]);
        Assert.Contains("DNS:other.example", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_SelfSignedCertificate_FailsAsUnknownCaAndSaysSelfSigned()
    {
        await using var server = await TestWebServer.StartAsync(app => app.MapGet("/", () => "ok"), certificate: TestCertificates.SelfSigned);

        var result = await ProbeHarness.RunAsync(_trustingTestCa, TestWebServer.Target(Localhost(server)));

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("unknown_ca", result.Findings["tls.error"]);
        Assert.Equal("true", result.Findings["tls.self_signed"]);
        Assert.Contains("self-signed", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ExpiresInTenDays_Warns()
    {
        await using var server = await HttpsAsync(TestCertificates.ExpiringSoon);

        var result = await ProbeHarness.RunAsync(_trustingTestCa, TestWebServer.Target(Localhost(server)));

        Assert.Equal(VerdictStatus.Warn, result.Verdict.Status);
        Assert.Equal("10", result.Findings["tls.days_left"]);
    }

    [Fact]
    public async Task Run_ServerWithTls13Only_RefusesTls12AsOpensslSees()
    {
        await using var server = await HttpsAsync(TestCertificates.Valid, SslProtocols.Tls13);

        var result = await ProbeHarness.RunAsync(_trustingTestCa, TestWebServer.Target(Localhost(server)));

        Assert.Equal("false", result.Findings["tls.tls12"]);
        Assert.Equal("true", result.Findings["tls.tls13"]);
        Assert.Equal("TLSv1.3", result.Findings["tls.protocol"]);
        Assert.NotEqual(0, (await TestCertificates.RunAsync("openssl", ["s_client", "-connect", $"127.0.0.1:{server.Port}", "-tls1_2"], stdin: string.Empty)).Code);
        Assert.Equal(0, (await TestCertificates.RunAsync("openssl", ["s_client", "-connect", $"127.0.0.1:{server.Port}", "-tls1_3"], stdin: string.Empty)).Code);
    }

    [Fact]
    public async Task Run_ServerWithTls12Only_NegotiatesTls12AndListsItsCiphers()
    {
        await using var server = await HttpsAsync(TestCertificates.Valid, SslProtocols.Tls12);

        var result = await ProbeHarness.RunAsync(_trustingTestCa, TestWebServer.Target(Localhost(server)), new() { ["scan"] = "protocols,ciphers" });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("TLSv1.2", result.Findings["tls.protocol"]);
        Assert.Equal("true", result.Findings["tls.tls12"]);
        Assert.Equal("false", result.Findings["tls.tls13"]);
        Assert.Contains("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", result.Findings["tls.ciphers"], StringComparison.Ordinal);
        Assert.DoesNotContain("TLS_AES_128_GCM_SHA256", result.Findings["tls.ciphers"].Split(','));
        Assert.NotEqual(0, (await TestCertificates.RunAsync("openssl", ["s_client", "-connect", $"127.0.0.1:{server.Port}", "-tls1_3"], stdin: string.Empty)).Code);
    }

    [Fact]
    public async Task Run_PlainHttpPort_FailsAsHandshakeFailure()
    {
        await using var plain = await TestWebServer.StartAsync(app => app.MapGet("/", () => "plain"));

        var result = await ProbeHarness.RunAsync(_trustingTestCa, TestWebServer.Target(plain.BaseUri), new() { ["port"] = plain.Port.ToString(CultureInfo.InvariantCulture) });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("handshake_failure", result.Findings["tls.error"]);
        Assert.Contains("does not seem to speak TLS", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NothingListening_FailsAsRefused()
    {
        var result = await ProbeHarness.RunAsync(_trustingTestCa, TestWebServer.Target(new Uri($"https://127.0.0.1:{TestWebServer.FreePort()}")));

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("refused", result.Findings["tls.error"]);
    }

    [Fact]
    public async Task Run_LoopbackNotAllowed_FailsAsRefusedByPolicy()
    {
        var result = await ProbeHarness.RunAsync(_trustingTestCa, TestWebServer.Target(new Uri("https://127.0.0.1:443"), allowLoopback: false));

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("refused_by_policy", result.Findings["tls.error"]);
    }

    [GeneratedRegex(@"(?:Protocol\s*:\s*|New, )(TLSv1\.\d)")]
    private static partial Regex ProtocolLine();

    [GeneratedRegex("-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----")]
    private static partial Regex PemBlock();
}
