using System.Collections.Concurrent;
using Portal.Web.Runs;

namespace Portal.Web.Incidents;

/// <summary>
/// Waits for probe runs of incidents to end and then calls back (which records the end). Follows the run's
/// live stream, then waits for the run row to say how it ended. When the portal stops first, the callback is
/// not made; <see cref="WalkthroughService.GetAsync"/> records such runs the next time anyone reads the incident.
/// </summary>
public sealed class IncidentRunWatcher(
    IRunEventSource events, IHostApplicationLifetime lifetime, ILogger<IncidentRunWatcher> logger)
{
    private static readonly TimeSpan Coalesce = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan RowWait = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<Guid, Task> _watching = new();

    /// <summary>Runs being watched (for tests and shutdown).</summary>
    public int Count => _watching.Count;

    /// <summary>Calls <paramref name="finished"/> once the run has ended and its row says how (cancelled with the portal).</summary>
    public void Watch(Guid runId, Func<CancellationToken, Task<bool>> finished)
    {
        var token = lifetime.ApplicationStopping;
        var task = Task.Run(async () =>
        {
            try
            {
                await foreach (var _ in events.ReadAsync(runId, 0, Coalesce, token))
                {
                    // Only the end matters here; viewers read the output themselves.
                }

                var deadline = DateTimeOffset.UtcNow + RowWait;
                while (!await finished(token) && DateTimeOffset.UtcNow < deadline)
                {
                    // The last event is out before the run row is updated; it follows within moments.
                    await Task.Delay(50, token);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // Recorded lazily on the next read.
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Watching run {RunId} for its incident failed; its end is recorded on the next read", runId);
            }
        }, CancellationToken.None);
        _watching[runId] = task;
        _ = task.ContinueWith(t => _watching.TryRemove(KeyValuePair.Create(runId, t)), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    /// <summary>Waits for every watcher to stop (they stop with the portal).</summary>
    public Task WhenAllAsync() => Task.WhenAll(_watching.Values);
}
