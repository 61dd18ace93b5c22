using System.Net;
using Portal.Testing;
using Serilog.Core;
using Serilog.Events;

namespace Portal.IntegrationTests;

/// <summary>The log sinks failing (one that throws on every event, a log file on a full disk) does not take the portal down.</summary>
public sealed class LogSinkFailureTests : IAsyncLifetime
{
    private readonly ThrowingSink _throwing = new();
    private readonly PortalHost _host;

    public LogSinkFailureTests()
    {
        _host = new PortalHost { ConfigureServices = s => Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<ILogEventSink>(s, _throwing) };
        _host.Settings["Serilog:MinimumLevel:Default"] = "Information";
        // Every write to /dev/full fails with "No space left on device", like a log disk that filled up.
        _host.Settings["Portal:LogFile"] = "/dev/full";
    }

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task ThrowingSinkAndFullLogDisk_PortalStillServesPagesApiAndRuns()
    {
        // The file sink really is installed: /dev/full opens, only writing fails.
        await using (var full = new FileStream("/dev/full", FileMode.Append, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0))
        {
            await Assert.ThrowsAsync<IOException>(async () => await full.WriteAsync(new byte[] { 1 }));
        }

        using var client = _host.CreateClient();
        var runs = new RunsClient(_host, client);
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        await runs.PutTargetAsync("logs", "box", new { role = "box", kind = "host", host = "127.0.0.1", port = ((IPEndPoint)listener.LocalEndpoint).Port, allowLoopback = true });

        var run = await runs.RunAsync("tcp.connect", "logs", "box");
        using var live = await client.GetAsync(new Uri("/health/live", UriKind.Relative));
        using var runbooks = await client.GetAsync(new Uri("/api/runbooks", UriKind.Relative));
        using var page = await client.GetAsync(new Uri("/", UriKind.Relative));

        Assert.True(_throwing.Calls > 10, $"the throwing sink saw only {_throwing.Calls} events");
        Assert.Equal("pass", run.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, runbooks.StatusCode);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    private sealed class ThrowingSink : ILogEventSink
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public void Emit(LogEvent logEvent)
        {
            Interlocked.Increment(ref _calls);
            throw new InvalidOperationException("the log sink is broken");
        }
    }
}
