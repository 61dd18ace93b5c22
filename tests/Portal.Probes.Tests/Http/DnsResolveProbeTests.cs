using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Portal.Probes.Contract;
using Portal.Probes.Probes.Http;

namespace Portal.Probes.Tests.Http;

/// <summary>A real dnsmasq on a free loopback port: ok.test (A+AAAA), www.ok.test → CNAME ok.test, *.nx.test NXDOMAIN.</summary>
public sealed class DnsmasqFixture : IAsyncLifetime
{
    private Process? _process;

    public IPEndPoint Endpoint { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        int port;
        using (var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        }

        Endpoint = new IPEndPoint(IPAddress.Loopback, port);
        var psi = new ProcessStartInfo("/usr/sbin/dnsmasq") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[]
                 {
                     "--keep-in-foreground", $"--port={port}", "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
                     "--local-ttl=300", "--host-record=ok.test,127.0.0.5,::5", "--cname=www.ok.test,ok.test", "--address=/nx.test/",
                     "--pid-file=", "--user=root", "--log-facility=-",
                 })
        {
            psi.ArgumentList.Add(a);
        }

        Assert.True(File.Exists(psi.FileName), "dnsmasq is not installed (Debian package dnsmasq).");
        _process = Process.Start(psi)!;
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await DnsWireClient.QueryAsync(Endpoint, "ok.test", DnsWireClient.TypeA, TimeSpan.FromMilliseconds(200), CancellationToken.None);
                return;
            }
            catch (Exception) when (watch.Elapsed < TimeSpan.FromSeconds(10) && !_process.HasExited)
            {
                await Task.Delay(50);
            }
        }
    }

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }

        _process?.Dispose();
        return Task.CompletedTask;
    }

    public DnsResolveProbe Probe(params string[] search) => new(() => new ResolverConfig([Endpoint], search, "test"), hostsPath: null);

    /// <summary>`dig @server -p port name type` with +short or the status line.</summary>
    public static async Task<string> DigAsync(IPEndPoint server, string name, string type, bool status = false)
    {
        var (_, output, _) = await TestCertificates.RunAsync("dig", [
            $"@{server.Address}", "-p", server.Port.ToString(CultureInfo.InvariantCulture), name, type, "+tries=1", "+time=2",
            .. status ? new[] { "+noall", "+comments" } : ["+short"],
        ]);
        return output;
    }
}

public sealed class DnsResolveProbeTests(DnsmasqFixture dns) : IClassFixture<DnsmasqFixture>
{
    private static ProbeTarget Host(string host) => ProbeHarness.LocalTarget(TargetKind.Host, host: host);

    [Fact]
    public async Task Run_NameWithAAndAaaa_PassesWithTheAnswersDigGives()
    {
        var result = await ProbeHarness.RunAsync(dns.Probe(), Host("ok.test"));

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("127.0.0.5,::5", result.Findings["dns.answers"]);
        Assert.Equal("NOERROR", result.Findings["dns.rcode"]);
        Assert.Equal("300", result.Findings["dns.ttl"]);
        Assert.Equal(dns.Endpoint.ToString(), result.Findings["dns.resolver"]);
        Assert.Equal("127.0.0.5", (await DnsmasqFixture.DigAsync(dns.Endpoint, "ok.test", "A")).Trim());
        Assert.Equal("::5", (await DnsmasqFixture.DigAsync(dns.Endpoint, "ok.test", "AAAA")).Trim());
        Assert.Contains(result.Metrics, m => m.Name == "dns_ms");
    }

    [Fact]
    public async Task Run_NameBehindACname_ReportsTheChainLikeDig()
    {
        var result = await ProbeHarness.RunAsync(dns.Probe(), Host("ok.test"), new() { ["name"] = "www.ok.test", ["record_type"] = "A" });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("ok.test", result.Findings["dns.cname"]);
        Assert.Equal("127.0.0.5", result.Findings["dns.answers"]);
        Assert.Equal("ok.test.\n127.0.0.5", (await DnsmasqFixture.DigAsync(dns.Endpoint, "www.ok.test", "A")).Trim());
        Assert.Contains("www.ok.test.\t300\tIN\tCNAME\tok.test", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_CnameRecordType_AnswersTheCanonicalName()
    {
        var result = await ProbeHarness.RunAsync(dns.Probe(), Host("ok.test"), new() { ["name"] = "www.ok.test", ["record_type"] = "CNAME" });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("ok.test", result.Findings["dns.answers"]);
    }

    [Fact]
    public async Task Run_UnknownName_FailsAsNxdomainLikeDig()
    {
        var result = await ProbeHarness.RunAsync(dns.Probe(), Host("missing.nx.test"));

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("nxdomain", result.Findings["dns.error"]);
        Assert.Contains("status: NXDOMAIN", await DnsmasqFixture.DigAsync(dns.Endpoint, "missing.nx.test", "A", status: true), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_SingleLabelName_UsesTheSearchDomains()
    {
        var result = await ProbeHarness.RunAsync(dns.Probe("nx.test", "ok.test"), Host("www"));

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Contains("www.ok.test →", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ServfailFromTheResolver_FailsAsServfailLikeDig()
    {
        using var responder = new FakeDnsServer(rcode: 2);

        var probe = new DnsResolveProbe(() => new ResolverConfig([responder.Endpoint], [], "test"), null);
        var result = await ProbeHarness.RunAsync(probe, Host("any.example"));

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("servfail", result.Findings["dns.error"]);
        Assert.Contains("status: SERVFAIL", await DnsmasqFixture.DigAsync(responder.Endpoint, "any.example", "A", status: true), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_SpoofedAnswerWithAnotherId_IsIgnored()
    {
        using var responder = new FakeDnsServer(rcode: 0, spoofFirst: true);

        var probe = new DnsResolveProbe(() => new ResolverConfig([responder.Endpoint], [], "test"), null);
        var result = await ProbeHarness.RunAsync(probe, Host("any.example"), new() { ["record_type"] = "A" });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("192.0.2.10", result.Findings["dns.answers"]);
    }

    [Fact]
    public async Task Run_ResolverThatNeverAnswers_FailsAsTimeout()
    {
        using var silent = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var endpoint = (IPEndPoint)silent.Client.LocalEndPoint!;
        var probe = new DnsResolveProbe(() => new ResolverConfig([endpoint], [], "test"), null);
        var watch = Stopwatch.StartNew();

        var result = await ProbeHarness.RunAsync(probe, Host("ok.test"), new() { ["timeout_ms"] = "300" });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("timeout", result.Findings["dns.error"]);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task Run_NameInTheHostsFile_AnswersFromItFirst()
    {
        var hosts = Path.GetTempFileName();
        await File.WriteAllTextAsync(hosts, "# test\n10.1.2.3  myhost.test myhost\n");
        try
        {
            var probe = new DnsResolveProbe(() => new ResolverConfig([dns.Endpoint], [], "test"), hosts);

            var result = await ProbeHarness.RunAsync(probe, Host("myhost.test"));

            Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
            Assert.Equal("hosts", result.Findings["dns.source"]);
            Assert.Equal("10.1.2.3", result.Findings["dns.answers"]);
        }
        finally
        {
            File.Delete(hosts);
        }
    }

    [Fact]
    public async Task Run_DefaultProbe_ReadsTheMachinesResolvConf()
    {
        var result = await ProbeHarness.RunAsync(new DnsResolveProbe(), Host("localhost"));

        // localhost comes from /etc/hosts on any Debian machine; the point is the real config is read without error.
        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("hosts", result.Findings["dns.source"]);
    }

    [Theory]
    [InlineData("a b")]
    [InlineData("-lead.example")]
    [InlineData("x;rm -rf")]
    [InlineData("a..b")]
    public void Validate_NameThatIsNotAHostname_IsRejected(string name)
    {
        var validation = ParameterValidator.Validate(new DnsResolveProbe().Descriptor, new Dictionary<string, string?> { ["name"] = name });

        Assert.False(validation.IsValid);
    }
}

/// <summary>A UDP responder that answers every question with one rcode (and 192.0.2.10 for A on NOERROR).</summary>
internal sealed class FakeDnsServer : IDisposable
{
    private readonly UdpClient _udp = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly CancellationTokenSource _stop = new();

    public FakeDnsServer(int rcode, bool spoofFirst = false)
    {
        Endpoint = (IPEndPoint)_udp.Client.LocalEndPoint!;
        _ = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                UdpReceiveResult r;
                try
                {
                    r = await _udp.ReceiveAsync(_stop.Token);
                }
                catch (Exception)
                {
                    return;
                }

                if (spoofFirst)
                {
                    var spoof = Answer(r.Buffer, rcode, IPAddress.Parse("6.6.6.6"));
                    spoof[0] ^= 0xff;
                    await _udp.SendAsync(spoof, r.RemoteEndPoint);
                }

                await _udp.SendAsync(Answer(r.Buffer, rcode, IPAddress.Parse("192.0.2.10")), r.RemoteEndPoint);
            }
        });
    }

    public IPEndPoint Endpoint { get; }

    private static byte[] Answer(byte[] query, int rcode, IPAddress address)
    {
        var questionEnd = 12;
        while (query[questionEnd] != 0)
        {
            questionEnd += query[questionEnd] + 1;
        }

        questionEnd += 5;
        var isA = query[questionEnd - 3] == 1 && query[questionEnd - 4] == 0;
        var withAnswer = rcode == 0 && isA;
        var m = new List<byte>(query[..questionEnd]);
        m[2] = 0x81;
        m[3] = (byte)(0x80 | rcode);
        m[6] = 0;
        m[7] = (byte)(withAnswer ? 1 : 0);
        m[8] = m[9] = m[10] = m[11] = 0;
        if (withAnswer)
        {
            m.AddRange([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, .. address.GetAddressBytes()]);
        }

        return [.. m];
    }

    public void Dispose()
    {
        _stop.Cancel();
        _udp.Dispose();
        _stop.Dispose();
    }
}
