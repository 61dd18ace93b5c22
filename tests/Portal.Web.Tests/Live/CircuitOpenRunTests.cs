using Portal.Web.Components.Live;

namespace Portal.Web.Tests.Live;

/// <summary>A run answered by an open circuit breaker says so in the reader's language, with since when and the last error.</summary>
public sealed class CircuitOpenRunTests : RunViewerTestContext
{
    private readonly Guid _run = Guid.CreateVersion7();

    [Theory]
    [InlineData("en", "circuit breaker has been open since 2026-11-28 12:01:02 UTC")]
    [InlineData("zh-CN", "熔断器自 2026-11-28 12:01:02 UTC 起处于熔断状态")]
    public async Task Reading_CircuitOpenFindings_ShowTheLocalizedAlert(string culture, string expected)
    {
        UseCulture(culture);
        var cut = Render<RunViewer>(p => p.Add(v => v.RunId, _run));

        Feed.Write(_run, Ev.Started(), Ev.Finding("circuit.state", "open"), Ev.Finding("circuit.open_since", "2026-11-28T12:01:02.0000000+00:00"),
            Ev.Finding("circuit.last_error", "redis.error=timeout: no answer"), Ev.Verdict("fail", "Circuit open since …"), Ev.Finished("fail", "Circuit open since …"));

        await cut.WaitForAssertionAsync(() =>
        {
            var alert = cut.Find("[data-testid=run-circuit-open]").TextContent;
            Assert.Contains(expected, alert, StringComparison.Ordinal);
            Assert.Contains("redis.error=timeout: no answer", alert, StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Reading_OrdinaryFailure_ShowsNoCircuitAlert()
    {
        UseCulture("en");
        var cut = Render<RunViewer>(p => p.Add(v => v.RunId, _run));

        Feed.Write(_run, Ev.Started(), Ev.Finding("redis.error", "refused"), Ev.Verdict("fail", "refused"), Ev.Finished("fail", "refused"));

        await cut.WaitForAssertionAsync(() => Assert.NotEmpty(cut.FindAll("[data-testid=run-next]")), TimeSpan.FromSeconds(5));
        Assert.Empty(cut.FindAll("[data-testid=run-circuit-open]"));
    }
}
