using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Portal.Benchmarks.Infrastructure;
using Portal.Web.Runs;

namespace Portal.Benchmarks.Hub;

/// <summary>
/// The bare baseline for the hub benchmark: a plain ASP.NET Core app with nothing but SignalR and a
/// hub with the portal's <c>StreamRun(runId, fromSeq)</c> contract, the same event type and the same
/// batching (at most one batch per 100 ms, terminal batch at once). No auth, no database, no
/// redaction, no logging: what any SignalR fan-out costs on this machine.
/// </summary>
public sealed class BaselineHubServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BaselineHubServer(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public BaselineRuns Runs => _app.Services.GetRequiredService<BaselineRuns>();

    public static async Task<BaselineHubServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Services.AddSignalR();
        builder.Services.AddSingleton<BaselineRuns>();
        var app = builder.Build();
        app.MapHub<BaselineRunsHub>("/hubs/runs");
        await app.StartAsync();
        var server = new BaselineHubServer(app);
        server.BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Runs of the baseline: a feed each, written by a paced producer like <see cref="TicksProbe"/>.</summary>
public sealed class BaselineRuns
{
    private readonly ConcurrentDictionary<Guid, RunFeed> _feeds = new();

    public RunFeed? Find(Guid runId) => _feeds.GetValueOrDefault(runId);

    public Guid Start(int lines, int perSecond, TimeSpan startDelay)
    {
        var id = Guid.CreateVersion7();
        var feed = new RunFeed(id);
        _feeds[id] = feed;
        _ = Task.Run(async () =>
        {
            long seq = 0;
            feed.Append(new RunEvent(id, ++seq, DateTimeOffset.UtcNow, RunEventTypes.Status, Text: "started", Key: "started"));
            await Task.Delay(startDelay);
            await foreach (var i in TicksProbe.Pace(lines, perSecond, CancellationToken.None))
            {
                feed.Append(new RunEvent(id, ++seq, DateTimeOffset.UtcNow, RunEventTypes.Output, Text: TicksProbe.Line(i), Stream: "stdout"));
            }

            feed.Append(new RunEvent(id, ++seq, DateTimeOffset.UtcNow, RunEventTypes.Verdict, Text: $"printed {lines} lines", Value: "pass"));
            feed.Append(new RunEvent(id, ++seq, DateTimeOffset.UtcNow, RunEventTypes.Status, Text: "done", Key: RunStatus.Finished, Value: "pass"));
        });
        return id;
    }
}

/// <summary>The baseline hub: same contract and batching as the portal's RunsHub + RunStream, nothing else.</summary>
public sealed class BaselineRunsHub(BaselineRuns runs) : Microsoft.AspNetCore.SignalR.Hub
{
    public async IAsyncEnumerable<IReadOnlyList<RunEvent>> StreamRun(Guid runId, long fromSeq, [EnumeratorCancellation] CancellationToken ct)
    {
        var feed = runs.Find(runId) ?? throw new HubException($"There is no run {runId}.");
        var last = fromSeq;
        var lastYield = DateTimeOffset.MinValue;
        while (!ct.IsCancellationRequested)
        {
            var batch = feed.ReadAfter(last, 1_000);
            if (batch.Count > 0)
            {
                var wait = RunsHub.BatchInterval - (DateTimeOffset.UtcNow - lastYield);
                if (wait > TimeSpan.Zero && !batch[^1].IsTerminal)
                {
                    await Task.Delay(wait, ct);
                    continue;
                }

                lastYield = DateTimeOffset.UtcNow;
                last = batch[^1].Seq;
                yield return batch;
                if (batch[^1].IsTerminal)
                {
                    yield break;
                }

                continue;
            }

            await feed.WaitAsync(last, ct);
        }
    }
}
