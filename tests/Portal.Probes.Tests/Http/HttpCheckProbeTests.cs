using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Portal.Probes.Contract;
using Portal.Probes.Network;
using Portal.Probes.Probes.Http;

namespace Portal.Probes.Tests.Http;

public sealed class HttpCheckProbeTests(HttpServerFixture web) : IClassFixture<HttpServerFixture>
{
    private readonly HttpCheckProbe _probe = new();

    private Task<ProbeResult> RunAsync(Dictionary<string, string?> parameters, ProbeTarget? target = null, NetworkGuard? guard = null) =>
        ProbeHarness.RunAsync(_probe, target ?? web.Server.Target(), parameters, guard: guard);

    [Fact]
    public async Task Run_HealthyJson_PassesWithTimingsAndEveryHealthEntry()
    {
        var result = await RunAsync(new() { ["path"] = "/health" });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("200", result.Findings["http.status"]);
        Assert.Equal(await HttpServerFixture.CurlStatusAsync(web.Url("/health")), result.Findings["http.status"]);
        Assert.Equal("HTTP/1.1", result.Findings["http.version"]);
        Assert.Equal("healthy", result.Findings["http.health.status"]);
        Assert.Equal("healthy", result.Findings["http.health.database.status"]);
        Assert.Equal("healthy", result.Findings["http.health.redis.status"]);
        Assert.False(result.Findings.ContainsKey("http.error"));
        foreach (var metric in new[] { "dns_ms", "connect_ms", "ttfb_ms", "transfer_ms", "total_ms" })
        {
            Assert.Contains(result.Metrics, m => m.Name == metric && m.Value >= 0);
        }

        Assert.Contains("\"status\":\"Healthy\"", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_UnhealthyJsonWith503_FailsAndNamesTheSickDependency()
    {
        var result = await RunAsync(new() { ["path"] = "/health/unhealthy" });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal(await HttpServerFixture.CurlStatusAsync(web.Url("/health/unhealthy")), result.Findings["http.status"]);
        Assert.Equal("503", result.Findings["http.status"]);
        Assert.Equal("unhealthy", result.Findings["http.health.status"]);
        Assert.Equal("unhealthy", result.Findings["http.health.database.status"]);
        Assert.Equal("healthy", result.Findings["http.health.redis.status"]);
        Assert.Contains("database", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_UnhealthyJsonButTheExpected503_StillFailsOnHealth()
    {
        var result = await RunAsync(new() { ["path"] = "/health/unhealthy", ["expected_status"] = "503" });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.DoesNotContain("expected", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_DegradedEntriesInAnArray_WarnsWithEntryFindings()
    {
        var result = await RunAsync(new() { ["path"] = "/health/degraded" });

        Assert.Equal(VerdictStatus.Warn, result.Verdict.Status);
        Assert.Equal("degraded", result.Findings["http.health.status"]);
        Assert.Equal("degraded", result.Findings["http.health.fine_tuning.status"]);
    }

    [Fact]
    public async Task Run_SpringStyleUp_CountsAsHealthy()
    {
        var result = await RunAsync(new() { ["path"] = "/health/spring" });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("healthy", result.Findings["http.health.status"]);
        Assert.Equal("healthy", result.Findings["http.health.diskspace.status"]);
    }

    [Fact]
    public async Task Run_MissingPath_FailsWith404AsCurlSees()
    {
        var result = await RunAsync(new() { ["path"] = "/nope" });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal(await HttpServerFixture.CurlStatusAsync(web.Url("/nope")), result.Findings["http.status"]);
        Assert.Contains("status 404, expected 200", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_BodyAssertion_PassesWhenPresentAndFailsWhenAbsent()
    {
        var hit = await RunAsync(new() { ["path"] = "/slow?ms=1", ["body_contains"] = "slow ok" });
        var miss = await RunAsync(new() { ["path"] = "/slow?ms=1", ["body_contains"] = "fast" });

        Assert.Equal(VerdictStatus.Pass, hit.Verdict.Status);
        Assert.Equal("true", hit.Findings["http.body_match"]);
        Assert.Equal(VerdictStatus.Fail, miss.Verdict.Status);
        Assert.Equal("false", miss.Findings["http.body_match"]);
    }

    [Fact]
    public async Task Run_HeadRequest_ReadsNoBody()
    {
        var result = await RunAsync(new() { ["path"] = "/health", ["method"] = "HEAD", ["expected_status"] = "405" });

        // Minimal APIs map GET only: HEAD answers 405, and the probe says so without reading a body.
        Assert.Equal(await HttpServerFixture.CurlStatusAsync(web.Url("/health"), "-I"), result.Findings["http.status"]);
        Assert.Equal("0", result.Findings["http.body_bytes"]);
    }

    [Fact]
    public async Task Run_CookiesAndTokens_AreRedactedButOtherHeadersShown()
    {
        var result = await RunAsync(new() { ["path"] = "/secret" });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.DoesNotContain("s3cr3t", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("tok-abcdef", result.Output, StringComparison.Ordinal);
        Assert.Contains("< Set-Cookie: [redacted]", result.Output, StringComparison.Ordinal);
        Assert.Contains("< X-Api-Token: [redacted]", result.Output, StringComparison.Ordinal);
        Assert.Contains("< X-Request-ID: req-42", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_Redirect_IsFollowedAndCounted()
    {
        var result = await RunAsync(new() { ["path"] = "/redir/ok" });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("1", result.Findings["http.redirects"]);
        Assert.EndsWith("/health", result.Findings["http.url"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_RedirectNotFollowed_ReportsThe302()
    {
        var result = await RunAsync(new() { ["path"] = "/redir/ok", ["follow_redirects"] = "false", ["expected_status"] = "302" });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("302", result.Findings["http.status"]);
    }

    [Fact]
    public async Task Run_RedirectLoop_FailsAsTooManyRedirects()
    {
        var result = await RunAsync(new() { ["path"] = "/loop" });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("too_many_redirects", result.Findings["http.error"]);
        Assert.Equal("5", result.Findings["http.redirects"]);
    }

    [Theory]
    [InlineData("file:///etc/passwd")]
    [InlineData("gopher://127.0.0.1:70/_INFO")]
    [InlineData("ftp://127.0.0.1/x")]
    public async Task Run_RedirectToAnotherScheme_FailsAsSchemeRefused(string location)
    {
        var result = await RunAsync(new() { ["path"] = "/redir/to?u=" + Uri.EscapeDataString(location) });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("scheme_refused", result.Findings["http.error"]);
        Assert.DoesNotContain("root:", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_RedirectToTheMetadataAddress_IsRefusedBeforeConnecting()
    {
        var result = await RunAsync(new() { ["path"] = "/redir/to?u=" + Uri.EscapeDataString("http://169.254.169.254/latest/meta-data/") });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("redirect_refused", result.Findings["http.error"]);
        Assert.Contains("metadata", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_RedirectToLoopbackFromATargetThatForbidsIt_NoRequestReachesLoopback()
    {
        var address = HttpServerFixture.NonLoopbackAddress();
        Assert.True(address is not null, "This test needs a non-loopback IPv4 address on the machine (any container has one).");
        var loopbackHits = 0;
        await using var internalService = await TestWebServer.StartAsync(app => app.MapGet("/admin", () =>
        {
            Interlocked.Increment(ref loopbackHits);
            return "internal";
        }));
        var internalUrl = new Uri(internalService.BaseUri, "/admin");
        await using var front = await TestWebServer.StartAsync(
            app => app.MapGet("/go", (HttpContext c) => c.Response.Redirect(internalUrl.ToString())), address);
        var isPrivate = NetworkGuard.Check(address!, TestWebServer.Target(front.BaseUri, allowLoopback: false)) is not null;

        var refused = await RunAsync(new() { ["path"] = "/go" }, TestWebServer.Target(front.BaseUri, allowLoopback: false, allowPrivate: isPrivate));
        Assert.Equal(VerdictStatus.Fail, refused.Verdict.Status);
        Assert.Equal("redirect_refused", refused.Findings["http.error"]);
        Assert.Contains("loopback", refused.Verdict.Summary, StringComparison.Ordinal);
        Assert.Equal(0, Volatile.Read(ref loopbackHits));

        // Control: the same redirect with loopback allowed does reach it, so the zero above means something.
        var allowed = await RunAsync(new() { ["path"] = "/go" }, TestWebServer.Target(front.BaseUri, allowLoopback: true, allowPrivate: isPrivate));
        Assert.Equal(VerdictStatus.Pass, allowed.Verdict.Status);
        Assert.Equal(1, Volatile.Read(ref loopbackHits));
    }

    [Fact]
    public async Task Run_LoopbackTargetNotAllowed_FailsAsRefusedByPolicy()
    {
        var result = await RunAsync(new() { ["path"] = "/health" }, TestWebServer.Target(web.Server.BaseUri, allowLoopback: false));

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("refused_by_policy", result.Findings["http.error"]);
    }

    [Fact]
    public async Task Run_NothingListening_FailsAsRefused()
    {
        var target = TestWebServer.Target(new Uri($"http://127.0.0.1:{TestWebServer.FreePort()}"));

        var result = await RunAsync(new() { ["path"] = "/health" }, target);

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("refused", result.Findings["http.error"]);
        Assert.Equal("000", await HttpServerFixture.CurlStatusAsync(new Uri(target.BaseUrl + "/health")));
    }

    [Fact]
    public async Task Run_NameThatDoesNotResolve_FailsAsDns()
    {
        var target = TestWebServer.Target(new Uri("http://no-such-host.invalid:8000"));

        var result = await RunAsync(new() { ["path"] = "/health" }, target);

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("dns", result.Findings["http.error"]);
    }

    [Fact]
    public async Task Run_TricklingBody_TimesOutWithinTheLimit()
    {
        var watch = Stopwatch.StartNew();

        var result = await RunAsync(new() { ["path"] = "/trickle", ["timeout_ms"] = "1000" });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("timeout", result.Findings["http.error"]);
        Assert.Equal("200", result.Findings["http.status"]);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task Run_SlowHeaders_TimeOut()
    {
        var result = await RunAsync(new() { ["path"] = "/slow?ms=5000", ["timeout_ms"] = "300" });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("timeout", result.Findings["http.error"]);
    }

    [Theory]
    [InlineData("//evil.example/x")]
    [InlineData("health")]
    [InlineData("/a b")]
    [InlineData("/a\\b")]
    public void Validate_PathThatLeavesTheTargetOrIsMalformed_IsRejected(string path)
    {
        var validation = ParameterValidator.Validate(_probe.Descriptor, new Dictionary<string, string?> { ["path"] = path });

        Assert.False(validation.IsValid);
    }

    [Fact]
    public void Under_PathWithAtSign_StaysOnTheTargetHost()
    {
        var uri = HttpText.Under("http://api.example:8000", "/@evil.example/x");

        Assert.NotNull(uri);
        Assert.Equal("api.example", uri.Host);
    }
}

/// <summary>Runs alone, so the allocation count is this test's own.</summary>
[CollectionDefinition(nameof(SerialHttpCollection), DisableParallelization = true)]
public sealed class SerialHttpCollection;

[Collection(nameof(SerialHttpCollection))]
public sealed class HttpCheckBigBodyTests(HttpServerFixture web) : IClassFixture<HttpServerFixture>
{
    [Fact]
    public async Task Run_TenMegabyteBody_ReadsOnlyTheCapAndAllocatesLittle()
    {
        var probe = new HttpCheckProbe();
        await ProbeHarness.RunAsync(probe, web.Server.Target(), new() { ["path"] = "/health" }); // warm up
        var before = GC.GetTotalAllocatedBytes(precise: true);

        var result = await ProbeHarness.RunAsync(probe, web.Server.Target(), new() { ["path"] = "/big" });

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal(GuardedHttpClient.BodyCap.ToString(System.Globalization.CultureInfo.InvariantCulture), result.Findings["http.body_bytes"]);
        Assert.Equal("true", result.Findings["http.body_truncated"]);
        Assert.Contains("the rest was not read", result.Output, StringComparison.Ordinal);
        Assert.True(allocated < 8L * 1024 * 1024, $"allocated {allocated} bytes for a 10 MB body");
        // (How much the server managed to write is no proof either way: loopback socket buffers can hold megabytes.)
    }
}
