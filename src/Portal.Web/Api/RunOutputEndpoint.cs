using System.Text;
using Portal.Web.Runs;

namespace Portal.Web.Api;

public static class RunOutputEndpoint
{
    /// <summary>GET /api/runs/{runId}/output.txt: the stored output as a text file, for "download".</summary>
    public static IEndpointRouteBuilder MapRunOutputDownload(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/runs/{runId:guid}/output.txt", async (Guid runId, RunStore store, CancellationToken ct) =>
        {
            var run = await store.GetAsync(runId, ct);
            if (run is null)
            {
                return Results.Problem(title: "Run not found", detail: $"There is no run {runId}.", statusCode: StatusCodes.Status404NotFound);
            }

            var text = new StringBuilder()
                .AppendLine($"# {run.Kind} on {run.Environment}/{run.Target}, started {run.StartedAt:u} by {run.RequestedBy}: {run.Status}");
            long after = 0;
            while (true)
            {
                var events = await store.ReadEventsAsync(runId, after, 10_000, ct);
                if (events.Count == 0)
                {
                    break;
                }

                foreach (var e in events)
                {
                    text.AppendLine(RunText.Format(e));
                }

                after = events[^1].Seq;
            }

            return Results.File(Encoding.UTF8.GetBytes(text.ToString()), "text/plain; charset=utf-8", $"{run.Kind}-{run.Target}-{runId:N}.txt");
        }).RequireAuthorization(Auth.PortalRoles.Viewer).WithTags("Runs").WithName("DownloadRunOutput").WithSummary("The run's events as a text file.");
        return endpoints;
    }
}
