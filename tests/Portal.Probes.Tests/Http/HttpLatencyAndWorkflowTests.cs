using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Portal.Probes.Contract;
using Portal.Probes.Probes.Http;

namespace Portal.Probes.Tests.Http;

public sealed class HttpLatencyProbeTests(HttpServerFixture web) : IClassFixture<HttpServerFixture>
{
    private readonly HttpLatencyProbe _probe = new();

    private static double Number(ProbeResult r, string key) => double.Parse(r.Findings[key], CultureInfo.InvariantCulture);

    [Fact]
    public async Task Run_FastEndpoint_PassesWithPercentilesAndOneLinePerRequest()
    {
        var result = await ProbeHarness.RunAsync(_probe, web.Server.Target(), new() { ["path"] = "/health", ["samples"] = "8" });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("0", result.Findings["http.latency.errors"]);
        Assert.Equal(8, result.Events.OfType<OutputLine>().Count(l => l.Text.StartsWith('#')));
        Assert.Equal(8, result.Metrics.Count(m => m.Name == "request_ms"));
        Assert.True(Number(result, "http.latency.p50_ms") <= Number(result, "http.latency.p95_ms"));
        Assert.True(Number(result, "http.latency.p95_ms") <= Number(result, "http.latency.max_ms"));
        Assert.False(result.Findings.ContainsKey("http.error"));
    }

    [Fact]
    public async Task Run_SlowerThanTheThreshold_FailsWithTheMeasuredP95()
    {
        var result = await ProbeHarness.RunAsync(_probe, web.Server.Target(), new() { ["path"] = "/slow?ms=300", ["samples"] = "3", ["threshold_ms"] = "100" });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.True(Number(result, "http.latency.p95_ms") >= 300);
        Assert.Contains("threshold 100 ms", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_OneServerErrorInFour_WarnsAndCountsIt()
    {
        var result = await ProbeHarness.RunAsync(_probe, web.Server.Target(), new() { ["path"] = "/flaky", ["samples"] = "4" });

        // /flaky answers 500 once (its first call ever), then 200: this class's fixture is its own.
        Assert.Equal(VerdictStatus.Warn, result.Verdict.Status);
        Assert.Equal("1", result.Findings["http.latency.errors"]);
        Assert.Equal("status_500", result.Findings["http.error"]);
    }

    [Fact]
    public async Task Run_EveryRequestTimesOut_FailsAsTimeout()
    {
        var result = await ProbeHarness.RunAsync(_probe, web.Server.Target(), new() { ["path"] = "/slow?ms=5000", ["samples"] = "2", ["timeout_ms"] = "200" });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("timeout", result.Findings["http.error"]);
        Assert.Equal("2", result.Findings["http.latency.errors"]);
    }

    [Fact]
    public async Task Run_NothingListening_FailsAsRefused()
    {
        var target = TestWebServer.Target(new Uri($"http://127.0.0.1:{TestWebServer.FreePort()}"));

        var result = await ProbeHarness.RunAsync(_probe, target, new() { ["samples"] = "3" });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("refused", result.Findings["http.error"]);
    }

    [Fact]
    public void Percentile_NearestRank_MatchesTheTextbook()
    {
        double[] values = [15, 20, 35, 40, 50];

        Assert.Equal(35, HttpLatencyProbe.Percentile(values, 50));
        Assert.Equal(50, HttpLatencyProbe.Percentile(values, 95));
        Assert.Equal(20, HttpLatencyProbe.Percentile(values, 30));
    }
}

public sealed class WorkflowStatusProbeTests : IAsyncLifetime
{
    private readonly WorkflowStatusProbe _probe = new();
    private TestWebServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await TestWebServer.StartAsync(app => app.MapGet("/platform/workflows/{id}/status", (HttpContext c, string id) => id switch
        {
            "wf-failed" => TestWebServer.Json(c, """
                {"workflow_id":"wf-failed","status":"FAILED","started_at":"2024-05-01T10:00:00Z","finished_at":"2024-05-01T10:03:12Z",
                 "steps":[{"name":"prepare","status":"succeeded","started_at":"2024-05-01T10:00:00Z","finished_at":"2024-05-01T10:00:07Z"},
                          {"name":"train","status":"failed","error":"CUDA out of memory","started_at":"2024-05-01T10:00:07Z","finished_at":"2024-05-01T10:03:12Z"},
                          {"name":"publish","status":"pending"}]}
                """),
            "wf_running" => TestWebServer.Json(c, """
                {"data":{"state":"in_progress","tasks":[{"id":"prepare","state":"completed","duration_ms":1200},{"id":"train","state":"running","started_at":"2024-05-01T10:00:07Z"}]}}
                """),
            "wf-ok" => TestWebServer.Json(c, """{"status":"succeeded","steps":[{"name":"a","status":"success","duration":1.5}]}"""),
            "wf-garbage" => TestWebServer.Json(c, "<html>oops</html>"),
            "wf-500" => TestWebServer.Json(c, """{"error":"db down"}""", 500),
            _ => TestWebServer.Json(c, """{"error":"not found"}""", 404),
        }));
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<ProbeResult> RunAsync(string id) => ProbeHarness.RunAsync(_probe, _server.Target(), new() { ["workflow_id"] = id });

    [Fact]
    public async Task Run_FailedWorkflow_FailsNamingTheStepItsErrorAndTiming()
    {
        var result = await RunAsync("wf-failed");

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("failed", result.Findings["workflow.status"]);
        Assert.Equal("train", result.Findings["workflow.failed_step"]);
        Assert.Equal("CUDA out of memory", result.Findings["workflow.error"]);
        Assert.Equal("3", result.Findings["workflow.steps"]);
        Assert.Contains(result.Metrics, m => m.Name == "failed_step_ms" && m.Value == 185_000);
        Assert.Contains("at step 'train': CUDA out of memory", result.Verdict.Summary, StringComparison.Ordinal);
        Assert.Contains(result.Events.OfType<OutputLine>(), l => l.Stream == OutputStream.Stderr && l.Text.Contains("✗ train", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_RunningWorkflowWithStateSynonymAndWrapper_WarnsAsRunning()
    {
        var result = await RunAsync("wf_running");

        Assert.Equal(VerdictStatus.Warn, result.Verdict.Status);
        Assert.Equal("running", result.Findings["workflow.status"]);
        Assert.Equal("train", result.Findings["workflow.running_step"]);
        Assert.False(result.Findings.ContainsKey("workflow.failed_step"));
    }

    [Fact]
    public async Task Run_SucceededWorkflow_Passes()
    {
        var result = await RunAsync("wf-ok");

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("succeeded", result.Findings["workflow.status"]);
        Assert.Contains("1.5 s", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_UnknownWorkflow_FailsAsNotFound()
    {
        var result = await RunAsync("wf-unknown");

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("false", result.Findings["workflow.found"]);
        Assert.Equal("404", result.Findings["http.status"]);
        Assert.Contains("workflow not found", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ServerError_FailsWithTheStatus()
    {
        var result = await RunAsync("wf-500");

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("500", result.Findings["http.status"]);
    }

    [Fact]
    public async Task Run_AnswerThatIsNotJson_IsAnErrorWithTheExcerpt()
    {
        var result = await RunAsync("wf-garbage");

        Assert.Equal(VerdictStatus.Error, result.Verdict.Status);
        Assert.Contains("oops", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ApiDown_FailsAsRefused()
    {
        var target = TestWebServer.Target(new Uri($"http://127.0.0.1:{TestWebServer.FreePort()}"));

        var result = await ProbeHarness.RunAsync(_probe, target, new() { ["workflow_id"] = "wf-1" });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("refused", result.Findings["http.error"]);
    }

    [Theory]
    [InlineData("../admin")]
    [InlineData("wf 1")]
    [InlineData("wf%2F1")]
    [InlineData("a-very-long-id-that-goes-on-and-on-and-on-and-on-and-on-and-on-and-on")]
    public void Validate_WorkflowIdOutsideThePattern_IsRejected(string id)
    {
        var validation = ParameterValidator.Validate(_probe.Descriptor, new Dictionary<string, string?> { ["workflow_id"] = id });

        Assert.False(validation.IsValid);
    }
}
