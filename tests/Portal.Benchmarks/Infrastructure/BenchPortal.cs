using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Portal.Probes.Contract;
using Portal.Testing;

namespace Portal.Benchmarks.Infrastructure;

/// <summary>
/// The real portal (Program.cs as shipped, real Kestrel on loopback, its own database) inside the
/// benchmark process, with <see cref="TicksProbe"/> and an environment "bench" holding a host target.
/// </summary>
public sealed class BenchPortal : IAsyncDisposable
{
    public const string Environment = "bench";

    private readonly PortalHost _host = new() { ConfigureServices = s => s.AddSingleton<IProbe, TicksProbe>() };
    private HttpClient _client = null!;

    public PortalHost Host => _host;

    public Uri BaseAddress => _host.BaseAddress;

    public HttpClient Client => _client;

    public static async Task<BenchPortal> StartAsync(Action<Dictionary<string, string?>>? settings = null)
    {
        var portal = new BenchPortal();
        settings?.Invoke(portal._host.Settings);
        await portal._host.InitializeAsync();
        portal._client = portal._host.CreateClient();
        await ReadyWait.UntilReadyAsync(portal._client, TimeSpan.FromSeconds(90));
        await portal.PutTargetAsync("box", new { role = "box", kind = "host", host = "127.0.0.1", allowLoopback = true });
        return portal;
    }

    public async Task PutTargetAsync(string name, object target)
    {
        using var put = await _client.PutAsJsonAsync($"/api/environments/{Environment}/targets/{name}", target);
        if (!put.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"PUT target {name}: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
        }
    }

    public async Task<Guid> StartRunAsync(string kind, object parameters, string target = "box", CancellationToken ct = default)
    {
        using var response = await _client.PostAsJsonAsync("/api/runs", new { kind, environment = Environment, target, parameters }, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST /api/runs {kind}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        }

        return (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("runId").GetGuid();
    }

    public Task<JsonElement> GetRunAsync(Guid runId, CancellationToken ct = default) =>
        _client.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}", ct);

    /// <summary>A connection to /hubs/runs signed in with the admin's bearer token, not yet started.</summary>
    public HubConnection CreateHubConnection(TimeSpan? serverTimeout = null) =>
        new HubConnectionBuilder()
            .WithUrl(new Uri(BaseAddress, "/hubs/runs"), o => o.AccessTokenProvider = () => Task.FromResult(_host.AdminToken))
            .WithServerTimeout(serverTimeout ?? TimeSpan.FromSeconds(30))
            .Build();

    public async ValueTask DisposeAsync()
    {
        _client?.Dispose();
        await _host.DisposeAsync();
    }
}
