using Microsoft.Extensions.DependencyInjection;
using Portal.Web.Runs;

namespace Portal.Web.Tests.Live;

/// <summary>
/// RunViewer's services: the channel feed in place of RunStream, and for the Stop button the real
/// RunRegistry behind a minimal IRunControl (what ProbeRunner does on Cancel).
/// </summary>
public abstract class RunViewerTestContext : PortalTestContext
{
    protected RunViewerTestContext()
    {
        Registry = new RunRegistry(new RunnerOptions(), TimeProvider.System);
        Services.AddSingleton<IRunEventSource>(Feed);
        Services.AddSingleton<IRunControl>(new RegistryControl(Registry));
    }

    protected ChannelRunEventSource Feed { get; } = new();

    protected RunRegistry Registry { get; }

    private sealed class RegistryControl(RunRegistry registry) : IRunControl
    {
        public bool Cancel(Guid runId) => registry.Cancel(runId);
    }
}
