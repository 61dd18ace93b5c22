using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.SignalR;

namespace Portal.Web.Runs;

/// <summary>
/// /hubs/runs: live probe output for clients other than the portal's own pages (tools, other
/// dashboards). StreamRun(runId, fromSeq) yields every event after fromSeq exactly once, in
/// order, in batches at most every 100 ms; a late subscriber gets the history first.
/// </summary>
[Microsoft.AspNetCore.Authorization.Authorize(Policy = Auth.PortalRoles.Viewer)]
public sealed class RunsHub(RunStream stream) : Hub
{
    public static readonly TimeSpan BatchInterval = TimeSpan.FromMilliseconds(100);

    public async IAsyncEnumerable<IReadOnlyList<RunEvent>> StreamRun(Guid runId, long fromSeq, [EnumeratorCancellation] CancellationToken ct)
    {
        var events = stream.ReadAsync(runId, fromSeq, BatchInterval, ct).GetAsyncEnumerator(ct);
        await using (events)
        {
            while (await MoveNextAsync(events))
            {
                yield return events.Current;
            }
        }
    }

    private static async Task<bool> MoveNextAsync(IAsyncEnumerator<IReadOnlyList<RunEvent>> events)
    {
        try
        {
            return await events.MoveNextAsync();
        }
        catch (KeyNotFoundException ex)
        {
            // Clients see HubException messages; anything else would be "An unexpected error occurred".
            throw new HubException(ex.Message);
        }
    }
}
