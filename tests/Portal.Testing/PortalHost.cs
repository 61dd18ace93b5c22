using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Portal.Testing;

/// <summary>
/// The real portal (Program.cs as shipped) on a real Kestrel port, backed by its own test
/// database and, when available, the shared test Redis. For API, SignalR and browser tests.
/// </summary>
public sealed class PortalHost : IAsyncLifetime
{
    private readonly TestDatabase _database = new();
    private WebApplicationFactory<Program>? _factory;

    public Uri BaseAddress { get; private set; } = null!;

    public IServiceProvider Services => _factory!.Services;

    public TestDatabase Database => _database;

    /// <summary>Extra settings for the host ("key" -> "value"), applied before start.</summary>
    public Dictionary<string, string?> Settings { get; } = [];

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment("Development");
            builder.UseSetting("ConnectionStrings:Portal", _database.ConnectionString);
            builder.UseSetting("ConnectionStrings:Redis", TestEnvironment.Redis ?? string.Empty);
            foreach (var (key, value) in Settings)
            {
                builder.UseSetting(key, value);
            }
        });
        _factory.UseKestrel(0);
        _factory.StartServer();
        var addresses = _factory.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>();
        BaseAddress = new Uri(addresses.Addresses.First());
    }

    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress };

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        await _database.DisposeAsync();
    }
}
