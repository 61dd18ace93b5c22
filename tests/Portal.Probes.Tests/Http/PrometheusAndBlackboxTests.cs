using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Portal.Probes.Contract;
using Portal.Probes.Probes.Http;

namespace Portal.Probes.Tests.Http;

public sealed class PrometheusQueryProbeTests(PrometheusFixture prometheus) : IClassFixture<PrometheusFixture>
{
    private readonly PrometheusQueryProbe _probe = new();

    private ProbeTarget Target => TestWebServer.Target(prometheus.BaseUri) with { Kind = TargetKind.Prometheus, Role = "prometheus" };

    [Fact]
    public async Task Run_UpPresetForItsOwnJob_PassesWithOneSeriesAsPromtoolSees()
    {
        var result = await ProbeHarness.RunAsync(_probe, Target, new() { ["preset"] = "up", ["job"] = "prometheus" });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("vector", result.Findings["prometheus.result_type"]);
        Assert.Equal("1", result.Findings["prometheus.result_count"]);
        Assert.Equal("1", result.Findings["prometheus.value"]);
        Assert.Contains("up{instance=\"127.0.0.1:", result.Output, StringComparison.Ordinal);
        var (code, output, _) = await TestCertificates.RunAsync("promtool", ["query", "instant", prometheus.BaseUri.ToString().TrimEnd('/'), "up{job=\"prometheus\"}"]);
        Assert.Equal(0, code);
        Assert.Contains("=> 1 @", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_QueryForAMetricNobodyExports_WarnsAsEmpty()
    {
        var result = await ProbeHarness.RunAsync(_probe, Target, new() { ["query"] = "no_such_metric_total" });

        Assert.Equal(VerdictStatus.Warn, result.Verdict.Status);
        Assert.Equal("0", result.Findings["prometheus.result_count"]);
    }

    [Fact]
    public async Task Run_SyntaxError_FailsWithPrometheusErrorType()
    {
        var result = await ProbeHarness.RunAsync(_probe, Target, new() { ["query"] = "sum(" });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("bad_data", result.Findings["prometheus.error"]);
    }

    [Fact]
    public async Task Run_RangeQuery_ReturnsAMatrix()
    {
        var result = await ProbeHarness.RunAsync(_probe, Target, new() { ["query"] = "up", ["start"] = "now-1m", ["step"] = "1s" });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("matrix", result.Findings["prometheus.result_type"]);
        Assert.Equal("1", result.Findings["prometheus.result_count"]);
    }

    [Fact]
    public async Task Run_ValueAboveFailThreshold_Fails()
    {
        var result = await ProbeHarness.RunAsync(_probe, Target, new() { ["query"] = "up", ["fail_above"] = "0.5" });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Contains("above 0.5", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ScalarQuery_Passes()
    {
        var result = await ProbeHarness.RunAsync(_probe, Target, new() { ["query"] = "scalar(count(up)) * 2" });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("2", result.Findings["prometheus.value"]);
    }

    [Fact]
    public async Task Run_NeitherQueryNorPreset_IsAnError()
    {
        var result = await ProbeHarness.RunAsync(_probe, Target, []);

        Assert.Equal(VerdictStatus.Error, result.Verdict.Status);
    }

    [Fact]
    public async Task Run_PrometheusDown_FailsAsRefused()
    {
        var target = TestWebServer.Target(new Uri($"http://127.0.0.1:{TestWebServer.FreePort()}")) with { Kind = TargetKind.Prometheus };

        var result = await ProbeHarness.RunAsync(_probe, target, new() { ["preset"] = "up" });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("refused", result.Findings["prometheus.error"]);
    }

    [Fact]
    public void Preset_P95Latency_FiltersOnTheJobAndFailsAboveTwoSeconds()
    {
        var (query, _, fail, _) = PrometheusQueryProbe.Preset("p95_latency", "platform-api");

        Assert.Equal("histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{job=\"platform-api\"}[5m])))", query);
        Assert.Equal(2.0, fail);
    }
}

/// <summary>The same targets through prometheus-blackbox-exporter: status, TLS version and certificate expiry agree.</summary>
public sealed class BlackboxCrossCheckTests(BlackboxFixture blackbox) : IClassFixture<BlackboxFixture>
{
    [Theory]
    [InlineData("/health", 200)]
    [InlineData("/down", 503)]
    public async Task HttpCheck_Status_AgreesWithBlackbox(string path, int status)
    {
        await using var server = await TestWebServer.StartAsync(app =>
        {
            app.MapGet("/health", () => "ok");
            app.MapGet("/down", (HttpContext c) => TestWebServer.Json(c, """{"status":"unhealthy"}""", 503));
        });

        var result = await ProbeHarness.RunAsync(new HttpCheckProbe(), server.Target(), new() { ["path"] = path, ["expected_status"] = status.ToString(CultureInfo.InvariantCulture) });
        var bb = await blackbox.ProbeAsync(new Uri(server.BaseUri, path));

        Assert.Equal(bb["probe_http_status_code"].ToString(CultureInfo.InvariantCulture), result.Findings["http.status"]);
        Assert.Equal(status, bb["probe_http_status_code"]);
    }

    [Theory]
    [InlineData(System.Security.Authentication.SslProtocols.None, "TLS 1.3", "TLSv1.3")]
    [InlineData(System.Security.Authentication.SslProtocols.Tls12, "TLS 1.2", "TLSv1.2")]
    public async Task TlsInspect_VersionAndEarliestExpiry_AgreeWithBlackbox(System.Security.Authentication.SslProtocols protocols, string blackboxVersion, string ours)
    {
        await using var server = await TlsInspectProbeTests.HttpsAsync(TestCertificates.Valid, protocols);
        var target = TlsInspectProbeTests.Localhost(server);

        var result = await ProbeHarness.RunAsync(new TlsInspectProbe([TestCertificates.Ca]), TestWebServer.Target(target));
        var bb = await blackbox.ProbeAsync(new Uri(target, "/health"));

        Assert.Equal(1, bb["probe_success"]);
        Assert.Equal(1, bb[$"probe_tls_version_info{{version=\"{blackboxVersion}\"}}"]);
        Assert.Equal(ours, result.Findings["tls.protocol"]);
        var earliest = DateTimeOffset.FromUnixTimeSeconds((long)bb["probe_ssl_earliest_cert_expiry"]);
        Assert.Equal(earliest.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), result.Findings["tls.earliest_not_after"]);
    }

    [Fact]
    public async Task TlsInspect_ExpiredCertificate_BlackboxFailsToo()
    {
        await using var server = await TlsInspectProbeTests.HttpsAsync(TestCertificates.Expired);
        var target = TlsInspectProbeTests.Localhost(server);

        var result = await ProbeHarness.RunAsync(new TlsInspectProbe([TestCertificates.Ca]), TestWebServer.Target(target));
        var bb = await blackbox.ProbeAsync(new Uri(target, "/health"));

        Assert.Equal("true", result.Findings["tls.expired"]);
        Assert.Equal(0, bb["probe_success"]);
    }
}
