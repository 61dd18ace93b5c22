using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Portal.Probes.Contract;
using Portal.Probes.Network;

namespace Portal.Probes.Probes.Http;

/// <summary>
/// openssl s_client, explained: handshake, protocol, cipher, ALPN, every certificate of the chain,
/// hostname match, validation errors, expiry, and which of TLS 1.2 / 1.3 (and, on request, which
/// cipher suites) the server accepts — each from its own handshake.
/// </summary>
public sealed class TlsInspectProbe : IProbe
{
    private const int WarnDays = 30;

    private static readonly TlsCipherSuite[] Tls12Suites =
    [
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
        TlsCipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA,
        TlsCipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA,
        TlsCipherSuite.TLS_RSA_WITH_3DES_EDE_CBC_SHA,
    ];

    private static readonly TlsCipherSuite[] Tls13Suites =
    [
        TlsCipherSuite.TLS_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
    ];

    private readonly X509Certificate2Collection? _trustAnchors;

    public TlsInspectProbe()
    {
    }

    /// <summary>For tests: validate against these roots instead of the system store (nothing is installed anywhere).</summary>
    internal TlsInspectProbe(X509Certificate2Collection trustAnchors)
    {
        _trustAnchors = trustAnchors;
    }

    public ProbeDescriptor Descriptor { get; } = new(
        Kind: "tls.inspect",
        Title: "TLS inspection",
        TitleZh: "TLS 证书与协议检查",
        Description: "Performs TLS handshakes with the target and reports protocol, cipher, ALPN, the certificate chain, hostname match, validation errors, expiry and accepted TLS versions.",
        TargetKinds: [TargetKind.Http, TargetKind.Prometheus, TargetKind.Host, TargetKind.Postgres, TargetKind.Redis],
        Parameters:
        [
            new ProbeParameter("port", ParameterType.Integer, "TLS port; defaults to the https base URL's port, else 443.", Min: 1, Max: 65535),
            new ProbeParameter("scan", ParameterType.String, "Extra scans: 'protocols' (TLS 1.2/1.3, always done) and/or 'ciphers' (each cipher suite separately).",
                Pattern: "(protocols|ciphers)(,(protocols|ciphers))?", MaxLength: 32),
            new ProbeParameter("timeout_ms", ParameterType.Integer, "Time limit per handshake.", Default: "5000", Min: 100, Max: 30000),
        ],
        DefaultTimeout: TimeSpan.FromSeconds(30),
        MaxTimeout: TimeSpan.FromSeconds(120));

    public async IAsyncEnumerable<ProbeEvent> RunAsync(ProbeRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        var (host, port) = Endpoint(request);
        if (host is null)
        {
            yield return new Verdict(VerdictStatus.Error, $"Target '{request.Target.Name}' has no host to inspect.");
            yield break;
        }

        var limit = TimeSpan.FromMilliseconds(request.GetInt("timeout_ms"));
        IReadOnlyList<IPAddress> addresses = [];
        string? refusal = null;
        string? refusalDetail = null;
        try
        {
            addresses = await request.Network.ResolveAllowedAsync(host, request.Target, ct);
        }
        catch (AddressRefusedException ex)
        {
            refusal = ex.InnerException is SocketException ? "dns" : "refused_by_policy";
            refusalDetail = ex.Message;
        }

        if (refusal is not null)
        {
            yield return new OutputLine(refusalDetail!, OutputStream.Stderr);
            yield return new Finding("tls.error", refusal);
            yield return new Verdict(VerdictStatus.Fail, $"Did not connect to {host}: {refusal}.");
            yield break;
        }

        var address = addresses[0];
        HandshakeResult main = null!;
        foreach (var candidate in addresses)
        {
            address = candidate;
            yield return new OutputLine($"handshake with {host} ({address}:{port}), offering TLS 1.2/1.3 and ALPN h2, http/1.1", OutputStream.Info);
            main = await HandshakeAsync(address, port, host, SslProtocols.None, null, limit, inspect: true, ct);
            ct.ThrowIfCancellationRequested();
            if (main.Connect is not null)
            {
                break; // connected: whatever the handshake did, this is the address to judge
            }

            yield return new OutputLine($"{address}:{port}: {main.Error}", OutputStream.Stderr);
        }

        if (main.Connect is { } connect)
        {
            yield return new Metric("connect_ms", connect.TotalMilliseconds, "ms");
        }

        if (main.Error is not null)
        {
            yield return new OutputLine($"! {main.Error}: {main.Detail}", OutputStream.Stderr);
            yield return new Finding("tls.error", main.Error);
            yield return new Finding("tls.handshake", "failed");
            yield return new Verdict(VerdictStatus.Fail, $"TLS handshake with {host}:{port} failed: {main.Error} ({main.Detail}).");
            yield break;
        }

        yield return new Metric("handshake_ms", main.Elapsed!.Value.TotalMilliseconds, "ms");
        yield return new OutputLine($"handshake ok in {ProbeText.Ms(main.Elapsed.Value)}: {main.Protocol}, {main.Cipher}, ALPN {(main.Alpn is { Length: > 0 } a ? a : "none")}");
        yield return new Finding("tls.handshake", "ok");
        yield return new Finding("tls.protocol", main.Protocol!);
        yield return new Finding("tls.cipher", main.Cipher!);
        yield return new Finding("tls.alpn", main.Alpn is { Length: > 0 } alpn ? alpn : "none");

        foreach (var e in DescribeChain(host, main.Inspection!))
        {
            yield return e;
        }

        // Which versions does the server accept? One handshake each.
        var accepted = new List<string>();
        foreach (var (protocol, name, key) in new[] { (SslProtocols.Tls12, "TLS 1.2", "tls.tls12"), (SslProtocols.Tls13, "TLS 1.3", "tls.tls13") })
        {
            var r = await HandshakeAsync(address, port, host, protocol, null, limit, inspect: false, ct);
            ct.ThrowIfCancellationRequested();
            yield return new OutputLine($"{name}: {(r.Error is null ? "accepted" : $"not accepted ({r.Error})")}");
            yield return new Finding(key, ProbeText.Bool(r.Error is null));
            if (r.Error is null)
            {
                accepted.Add(name);
            }
        }

        yield return new OutputLine("TLS 1.0/1.1: not tested (this client's OpenSSL refuses to offer them)", OutputStream.Info);
        if (!OperatingSystem.IsWindows() && request.GetOptional("scan")?.Contains("ciphers", StringComparison.Ordinal) == true)
        {
            var suites = new List<string>();
            foreach (var (protocol, list) in new[] { (SslProtocols.Tls12, Tls12Suites), (SslProtocols.Tls13, Tls13Suites) })
            {
                foreach (var suite in list)
                {
                    var r = await HandshakeAsync(address, port, host, protocol, new CipherSuitesPolicy([suite]), limit, inspect: false, ct);
                    ct.ThrowIfCancellationRequested();
                    if (r.Error is null)
                    {
                        suites.Add(suite.ToString());
                        yield return new OutputLine($"cipher {suite}: accepted{(IsWeak(suite) ? " (weak: no forward secrecy or CBC/3DES)" : string.Empty)}");
                    }
                }
            }

            yield return new Finding("tls.ciphers", string.Join(",", suites));
            yield return new Finding("tls.weak_ciphers", ProbeText.Number(suites.Count(s => IsWeak(Enum.Parse<TlsCipherSuite>(s)))));
        }

        yield return Judge(host, port, main.Inspection!);
    }

    private static (string? Host, int Port) Endpoint(ProbeRequest request)
    {
        var (host, targetPort) = TargetEndpoint.Of(request.Target);
        var https = request.Target.BaseUrl is { } url && url.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        var port = request.GetOptional("port") is { } p ? int.Parse(p, CultureInfo.InvariantCulture)
            : https && targetPort is { } tp ? tp
            : request.Target.BaseUrl is null && targetPort is { } hp ? hp
            : 443;
        return (host, port);
    }

    private static IEnumerable<ProbeEvent> DescribeChain(string host, Inspection inspection)
    {
        var now = DateTimeOffset.UtcNow;
        yield return new Finding("tls.chain_length", ProbeText.Number(inspection.Chain.Count));
        yield return new OutputLine($"chain ({inspection.Presented} presented by the server, {inspection.Chain.Count} after building):");
        for (var i = 0; i < inspection.Chain.Count; i++)
        {
            var c = inspection.Chain[i];
            var daysLeft = DaysLeft(c.Certificate, now);
            var selfSigned = c.Certificate.SubjectName.RawData.AsSpan().SequenceEqual(c.Certificate.IssuerName.RawData);
            var isCa = c.Certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault()?.CertificateAuthority == true;
            var sans = Sans(c.Certificate);
            yield return new OutputLine($" {i} subject: {c.Certificate.Subject}");
            yield return new OutputLine($"   issuer:  {c.Certificate.Issuer}");
            if (sans.Count > 0)
            {
                yield return new OutputLine($"   SANs:    {GuardedHttpClient.Shorten(string.Join(", ", sans), 300)}");
            }

            yield return new OutputLine($"   serial:  {c.Certificate.SerialNumber}");
            yield return new OutputLine($"   sha256:  {Convert.ToHexString(SHA256.HashData(c.Certificate.RawData))}");
            yield return new OutputLine(
                $"   valid:   {c.Certificate.NotBefore.ToUniversalTime():u} → {c.Certificate.NotAfter.ToUniversalTime():u} ({daysLeft} days left)"
                + (selfSigned ? ", self-signed" : string.Empty) + (isCa ? ", CA" : string.Empty),
                daysLeft < 0 ? OutputStream.Stderr : OutputStream.Stdout);
            if (c.Status.Count > 0)
            {
                yield return new OutputLine($"   status:  {string.Join(", ", c.Status)}", OutputStream.Stderr);
            }
        }

        var leaf = inspection.Chain[0].Certificate;
        var earliest = inspection.Chain.Min(c => c.Certificate.NotAfter.ToUniversalTime());
        yield return new Finding("tls.subject", GuardedHttpClient.Shorten(leaf.Subject, 200));
        yield return new Finding("tls.issuer", GuardedHttpClient.Shorten(leaf.Issuer, 200));
        yield return new Finding("tls.not_after", leaf.NotAfter.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        yield return new Finding("tls.earliest_not_after", earliest.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        yield return new Finding("tls.days_left", ProbeText.Number(inspection.Chain.Min(c => DaysLeft(c.Certificate, now))));
        yield return new Finding("tls.expired", ProbeText.Bool(inspection.Chain.Any(c => c.Certificate.NotAfter.ToUniversalTime() < now.UtcDateTime)));
        yield return new Finding("tls.self_signed", ProbeText.Bool(inspection.Chain.Count == 1 && leaf.SubjectName.RawData.AsSpan().SequenceEqual(leaf.IssuerName.RawData)));
        yield return new Finding("tls.hostname_match", ProbeText.Bool(inspection.HostnameMatch));
        yield return new Finding("tls.trusted", ProbeText.Bool(inspection.Errors.Count == 0 || inspection.Errors.All(e => e is "name_mismatch")));
        yield return new OutputLine($"hostname {host}: {(inspection.HostnameMatch ? "matches" : "does NOT match")} the certificate");
        yield return new OutputLine(
            inspection.Errors.Count == 0 ? "validation: ok" : $"validation: {string.Join(", ", inspection.Errors)}",
            inspection.Errors.Count == 0 ? OutputStream.Stdout : OutputStream.Stderr);
        if (inspection.Errors.Count > 0)
        {
            yield return new Finding("tls.errors", string.Join(",", inspection.Errors));
            yield return new Finding("tls.error", inspection.Errors[0]);
        }
    }

    private static Verdict Judge(string host, int port, Inspection inspection)
    {
        var now = DateTimeOffset.UtcNow;
        var days = inspection.Chain.Min(c => DaysLeft(c.Certificate, now));
        var where = $"{host}:{port}";
        if (inspection.Errors.Count > 0)
        {
            var why = inspection.Errors[0] switch
            {
                "expired" => $"the certificate expired {-days} days ago",
                "not_yet_valid" => "the certificate is not valid yet",
                "name_mismatch" => $"the certificate is not valid for '{host}'",
                "unknown_ca" => inspection.Chain.Count == 1 ? "the certificate is self-signed (no trusted CA)" : "the chain ends at a CA this machine does not trust",
                var other => $"validation failed ({other})",
            };
            return new Verdict(VerdictStatus.Fail, $"{where}: {why}.");
        }

        return days < WarnDays
            ? new Verdict(VerdictStatus.Warn, $"{where}: valid, but expires in {days} days.")
            : new Verdict(VerdictStatus.Pass, $"{where}: valid certificate for {days} more days.");
    }

    private static int DaysLeft(X509Certificate2 c, DateTimeOffset now) => (int)Math.Floor((c.NotAfter.ToUniversalTime() - now.UtcDateTime).TotalDays);

    private static List<string> Sans(X509Certificate2 c)
    {
        var san = c.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        return san is null ? [] : [.. san.EnumerateDnsNames().Select(d => "DNS:" + d), .. san.EnumerateIPAddresses().Select(a => "IP:" + a)];
    }

    private static bool IsWeak(TlsCipherSuite s)
    {
        var name = s.ToString();
        return name.StartsWith("TLS_RSA_", StringComparison.Ordinal) || name.Contains("3DES", StringComparison.Ordinal) || name.EndsWith("_CBC_SHA", StringComparison.Ordinal);
    }

    private async Task<HandshakeResult> HandshakeAsync(
        IPAddress address, int port, string host, SslProtocols protocols, CipherSuitesPolicy? ciphers, TimeSpan limit, bool inspect, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(limit);
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        var watch = Stopwatch.StartNew();
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, port), cts.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return HandshakeResult.Failed("timeout", "no TCP connection in time", null);
        }
        catch (SocketException ex)
        {
            return HandshakeResult.Failed(ex.SocketErrorCode == SocketError.ConnectionRefused ? "refused" : ex.SocketErrorCode.ToString().ToLowerInvariant(), ex.Message, null);
        }

        var connected = watch.Elapsed;
        Inspection? inspection = null;
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = host,
            EnabledSslProtocols = protocols,
            CipherSuitesPolicy = ciphers,
            ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
#pragma warning disable CA5359 // inspection, not trust: every certificate is judged afterwards and nothing is sent over the connection
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            {
                if (inspect && certificate is not null)
                {
                    inspection = Inspect(host, certificate, chain, errors);
                }

                return true;
            },
#pragma warning restore CA5359
        };
        await using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsClientAsync(options, cts.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return HandshakeResult.Failed("timeout", "no handshake in time", connected);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or PlatformNotSupportedException)
        {
            return HandshakeResult.Failed(ClassifyHandshake(ex), Innermost(ex), connected);
        }

        if (inspect && inspection is null)
        {
            return HandshakeResult.Failed("handshake_failure", "the server presented no certificate", connected);
        }

        return new HandshakeResult(null, null, connected, watch.Elapsed - connected, TlsNames.Protocol(ssl.SslProtocol), ssl.NegotiatedCipherSuite.ToString(),
            ssl.NegotiatedApplicationProtocol.ToString(), inspection);
    }

    private Inspection Inspect(string host, X509Certificate certificate, X509Chain? chain, SslPolicyErrors policyErrors)
    {
        var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        var presented = 1 + (chain?.ChainPolicy.ExtraStore.Count ?? 0);
        using var built = new X509Chain();
        built.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            built.ChainPolicy.ExtraStore.AddRange(chain.ChainPolicy.ExtraStore);
        }

        if (_trustAnchors is not null)
        {
            built.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            built.ChainPolicy.CustomTrustStore.AddRange(_trustAnchors);
        }

        built.Build(leaf);
        var elements = built.ChainElements
            .Select(e => new ChainCertificate(
                X509CertificateLoader.LoadCertificate(e.Certificate.RawData),
                [.. e.ChainElementStatus.Where(s => s.Status != X509ChainStatusFlags.NoError).Select(s => s.Status.ToString())]))
            .ToList();
        var hostnameMatch = leaf.MatchesHostname(host.Trim('[', ']'), allowWildcards: true, allowCommonName: false);
        var errors = new List<string>();
        var flags = built.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (acc, s) => acc | s.Status);
        var now = DateTime.UtcNow;
        if (flags.HasFlag(X509ChainStatusFlags.NotTimeValid))
        {
            errors.Add(elements.Any(e => e.Certificate.NotAfter.ToUniversalTime() < now) ? "expired" : "not_yet_valid");
        }

        if (!hostnameMatch)
        {
            errors.Add("name_mismatch");
        }

        if (flags.HasFlag(X509ChainStatusFlags.UntrustedRoot) || flags.HasFlag(X509ChainStatusFlags.PartialChain))
        {
            errors.Add("unknown_ca");
        }

        if (flags.HasFlag(X509ChainStatusFlags.Revoked))
        {
            errors.Add("revoked");
        }

        var other = flags & ~(X509ChainStatusFlags.NotTimeValid | X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain | X509ChainStatusFlags.Revoked
                              | X509ChainStatusFlags.RevocationStatusUnknown | X509ChainStatusFlags.OfflineRevocation);
        if (other != X509ChainStatusFlags.NoError)
        {
            errors.Add(HttpText.KeySegment(other.ToString()));
        }

        return new Inspection(elements, presented, hostnameMatch, errors);
    }

    private static string ClassifyHandshake(Exception ex)
    {
        var text = string.Join(" | ", Messages(ex)).ToLowerInvariant();
        return text.Contains("unsupported protocol", StringComparison.Ordinal)
               || text.Contains("protocol version", StringComparison.Ordinal)
               || text.Contains("no protocols available", StringComparison.Ordinal)
               || text.Contains("version too low", StringComparison.Ordinal)
            ? "protocol_version"
            : text.Contains("connection reset", StringComparison.Ordinal) ? "reset" : "handshake_failure";
    }

    private static IEnumerable<string> Messages(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            yield return e.Message;
        }
    }

    private static string Innermost(Exception ex)
    {
        var e = ex;
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        var message = e.Message;
        if (message.Contains("wrong version number", StringComparison.OrdinalIgnoreCase)
            || message.Contains("packet length too long", StringComparison.OrdinalIgnoreCase)
            || message.Contains("corrupted frame", StringComparison.OrdinalIgnoreCase))
        {
            message += " — the server does not seem to speak TLS on this port";
        }

        return GuardedHttpClient.Shorten(message, 300);
    }

    private sealed record ChainCertificate(X509Certificate2 Certificate, IReadOnlyList<string> Status);

    private sealed record Inspection(IReadOnlyList<ChainCertificate> Chain, int Presented, bool HostnameMatch, IReadOnlyList<string> Errors);

    private sealed record HandshakeResult(
        string? Error, string? Detail, TimeSpan? Connect, TimeSpan? Elapsed, string? Protocol, string? Cipher, string? Alpn, Inspection? Inspection)
    {
        public static HandshakeResult Failed(string error, string detail, TimeSpan? connect) => new(error, detail, connect, null, null, null, null, null);
    }
}
