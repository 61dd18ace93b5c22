using Npgsql;
using Portal.Web.Runs;

namespace Portal.Web.Tests.Live;

/// <summary>RunStream over a live feed (the database is never asked while the feed holds the run).</summary>
public sealed class RunStreamTests
{
    private static readonly TimeSpan LongInterval = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ReadAsync_RunEndsWhileCoalescing_SendsTheLastBatchAtOnce()
    {
        var registry = new RunRegistry(new RunnerOptions(), TimeProvider.System);
        await using var db = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1");
        var state = new Portal.Web.Resilience.PortalDegradedState(TimeProvider.System);
        var journal = new Portal.Web.Resilience.DegradedJournal(
            new Portal.Web.Resilience.ResilienceOptions { DataPath = Path.Combine(Path.GetTempPath(), $"portal-runstream-{Guid.NewGuid():N}") },
            state, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<Portal.Web.Resilience.DegradedJournal>.Instance);
        var stream = new RunStream(registry, new RunStore(db, state, journal, new Portal.Web.Resilience.PortalInstance()), TimeProvider.System);
        var runId = Guid.NewGuid();
        var feed = registry.Open(runId);
        feed.Append(new RunEvent(runId, 1, DateTimeOffset.UtcNow, RunEventTypes.Status, Text: "started", Key: "started"));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var batches = stream.ReadAsync(runId, 0, LongInterval, timeout.Token).GetAsyncEnumerator(timeout.Token);
        Assert.True(await batches.MoveNextAsync()); // the first batch goes out at once
        var first = System.Diagnostics.Stopwatch.StartNew();

        feed.Append(new RunEvent(runId, 2, DateTimeOffset.UtcNow, RunEventTypes.Output, Text: "one line", Stream: "stdout"));
        var next = batches.MoveNextAsync().AsTask();
        // The reader now waits out the 30 s interval for more lines; the run ends meanwhile.
        feed.Append(new RunEvent(runId, 3, DateTimeOffset.UtcNow, RunEventTypes.Status, Text: "done", Key: RunStatus.Finished, Value: "pass"));

        Assert.True(await next);
        Assert.True(first.Elapsed < LongInterval / 2, $"the last batch came after {first.Elapsed.TotalSeconds:0.0} s, not at once");
        Assert.Equal([2L, 3L], batches.Current.Select(e => e.Seq));
        Assert.False(await batches.MoveNextAsync());
        await batches.DisposeAsync();
    }
}
