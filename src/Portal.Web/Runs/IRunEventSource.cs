namespace Portal.Web.Runs;

/// <summary>Where a viewer reads a run from; <see cref="RunStream"/> in the portal, a channel in component tests.</summary>
public interface IRunEventSource
{
    /// <summary>Batches of events after <paramref name="fromSeq"/>; the caller cancels to stop watching.</summary>
    IAsyncEnumerable<IReadOnlyList<RunEvent>> ReadAsync(Guid runId, long fromSeq, TimeSpan minInterval, CancellationToken ct);
}
