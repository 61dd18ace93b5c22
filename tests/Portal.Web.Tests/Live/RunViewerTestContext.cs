using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Portal.Probes;
using Portal.Probes.Network;
using Portal.Web.Inventory;
using Portal.Web.Runs;

namespace Portal.Web.Tests.Live;

/// <summary>
/// RunViewer's services: the channel feed in place of RunStream, and a real ProbeRunner for the
/// Stop button. The runner is concrete and needs eight collaborators although RunViewer only
/// calls Cancel, which only touches the registry; everything else is inert here (the data source
/// points nowhere and is never opened).
/// </summary>
public abstract class RunViewerTestContext : PortalTestContext
{
    protected RunViewerTestContext()
    {
        var nowhere = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Timeout=1");
        Services.AddSingleton(nowhere); // disposed with the context
        Registry = new RunRegistry(new RunnerOptions(), TimeProvider.System);
        var runner = new ProbeRunner(
            new ProbeCatalog([]),
            new InventoryStore(nowhere, new TargetSecrets(new EphemeralDataProtectionProvider())),
            new NetworkGuard(),
            new RunStore(nowhere),
            Registry,
            new RunnerOptions(),
            new StillRunning(),
            NullLogger<ProbeRunner>.Instance);
        Services.AddSingleton<IRunEventSource>(Feed);
        Services.AddSingleton(runner);
    }

    protected ChannelRunEventSource Feed { get; } = new();

    protected RunRegistry Registry { get; }

    private sealed class StillRunning : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => CancellationToken.None;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication()
        {
        }
    }
}
