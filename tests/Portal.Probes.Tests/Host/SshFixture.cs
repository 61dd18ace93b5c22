using Portal.Probes.Contract;
using Portal.Probes.Probes.Host;
using Portal.Probes.Ssh;
using Portal.Testing;

namespace Portal.Probes.Tests.Host;

/// <summary>One private sshd (see <see cref="SshServer"/>) and one connection pool for the SSH tests.</summary>
public sealed class SshFixture : IAsyncLifetime
{
    public SshServer Server { get; private set; } = null!;

    public SshConnections Connections { get; } = new(new SshOptions { IdleTimeout = TimeSpan.FromSeconds(30) });

    public HostAccessProvider Provider => new(Connections);

    /// <summary>The same target as <see cref="HostTestSupport.Target"/>, reached through the test sshd.</summary>
    public ProbeTarget Remote(ProbeTarget local, SshSettings? settings = null) => local with { Ssh = settings ?? Server.Settings() };

    public async Task InitializeAsync() => Server = await SshServer.StartAsync();

    public async Task DisposeAsync()
    {
        Connections.Dispose();
        await Server.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class SshCollection : ICollectionFixture<SshFixture>
{
    public const string Name = "ssh";
}
