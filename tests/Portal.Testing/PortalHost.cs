using System.Net;
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
        _factory = new PortalFactory(_database.ConnectionString, Settings);
        _factory.StartServer();
        var addresses = _factory.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>();
        BaseAddress = new Uri(addresses.Addresses.First());
    }

    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress };

    /// <summary>The shipped Program on Kestrel, loopback only, on a port the OS picks.</summary>
    private sealed class PortalFactory : WebApplicationFactory<Program>
    {
        private readonly string _connectionString;
        private readonly Dictionary<string, string?> _settings;

        public PortalFactory(string connectionString, Dictionary<string, string?> settings)
        {
            _connectionString = connectionString;
            _settings = settings;
            UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Development");
            builder.UseSetting("ConnectionStrings:Portal", _connectionString);
            builder.UseSetting("ConnectionStrings:Redis", TestEnvironment.Redis ?? string.Empty);
            foreach (var (key, value) in _settings)
            {
                builder.UseSetting(key, value);
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        await _database.DisposeAsync();
    }
}
