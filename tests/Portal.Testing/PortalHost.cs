using System.Net;
using System.Net.Http.Json;
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
    private readonly TestDatabase _database;
    private readonly bool _ownsDatabase;
    private WebApplicationFactory<Program>? _factory;

    // The only public constructor: xUnit class fixtures need exactly one.
    public PortalHost()
        : this(new TestDatabase(), ownsDatabase: true)
    {
    }

    private PortalHost(TestDatabase database, bool ownsDatabase)
    {
        _database = database;
        _ownsDatabase = ownsDatabase;
    }

    /// <summary>A host on another host's database, as after a restart; the database stays with its owner.</summary>
    public static PortalHost OnDatabase(TestDatabase database) => new(database, ownsDatabase: false);

    public Uri BaseAddress { get; private set; } = null!;

    public IServiceProvider Services => _factory!.Services;

    /// <summary>What the host logged (at the level Serilog:MinimumLevel:Default allows; Warning unless a test sets it).</summary>
    public LogCapture Logs { get; } = new();

    public TestDatabase Database => _database;

    /// <summary>Extra settings for the host ("key" -> "value"), applied before start.</summary>
    public Dictionary<string, string?> Settings { get; } = [];

    /// <summary>Extra services (e.g. a test probe), registered after the portal's own, before start.</summary>
    public Action<IServiceCollection>? ConfigureServices { get; set; }

    public async Task InitializeAsync()
    {
        if (_ownsDatabase)
        {
            await _database.InitializeAsync();
        }

        Settings.TryAdd("PORTAL_ADMIN_PASSWORD", AdminPassword);
        // Tests sign in and start runs far faster than people do; RateLimitTests set the shipped limits themselves.
        Settings.TryAdd("Portal:RateLimits:SignInsPerMinute", "100000");
        Settings.TryAdd("Portal:RateLimits:ProbeRunsPerMinute", "100000");
        var logs = Logs;
        _factory = new PortalFactory(_database.ConnectionString, Settings, services =>
        {
            services.AddSingleton<Serilog.Core.ILogEventSink>(logs);
            ConfigureServices?.Invoke(services);
        });
        _factory.StartServer();
        var addresses = _factory.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>();
        BaseAddress = new Uri(addresses.Addresses.First());
        AdminToken = await IssueTokenAsync("admin", AdminPassword);
    }

    /// <summary>The first admin's password (PORTAL_ADMIN_PASSWORD), one per database, so a restarted host signs in too.</summary>
    public string AdminPassword => $"adm-{_database.Name}-pw";

    /// <summary>A bearer token of the admin; null when the host could not issue one (its database is down).</summary>
    public string? AdminToken { get; private set; }

    /// <summary>A client signed in as the admin (bearer token).</summary>
    public HttpClient CreateClient() => CreateClient(AdminToken);

    /// <summary>A client with no credentials at all.</summary>
    public HttpClient CreateAnonymousClient() => new() { BaseAddress = BaseAddress };

    public HttpClient CreateClient(string? token)
    {
        var client = CreateAnonymousClient();
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    /// <summary>Creates a user with <paramref name="role"/> (viewer, responder, editor, admin) and returns its password.</summary>
    public async Task<string> CreateUserAsync(string username, string role)
    {
        var password = "pw-" + Guid.NewGuid().ToString("N");
        var users = Services.GetRequiredService<Portal.Web.Auth.UserStore>();
        var hasher = Services.GetRequiredService<Microsoft.AspNetCore.Identity.IPasswordHasher<Portal.Web.Auth.PortalUser>>();
        var user = new Portal.Web.Auth.PortalUser(username, username, role, "", 0, null, false, DateTimeOffset.UtcNow);
        await users.CreateAsync(username, username, role, hasher.HashPassword(user, password));
        return password;
    }

    /// <summary>A bearer token for <paramref name="username"/>, through the public API as a client would get one.</summary>
    public async Task<string?> IssueTokenAsync(string username, string password)
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = BaseAddress };
        using var response = await client.PostAsJsonAsync("/api/auth/token", new { username, password });
        return response.IsSuccessStatusCode
            ? (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("token").GetString()
            : null;
    }

    /// <summary>The shipped Program on Kestrel, loopback only, on a port the OS picks.</summary>
    private sealed class PortalFactory : WebApplicationFactory<Program>
    {
        private readonly string _connectionString;
        private readonly Dictionary<string, string?> _settings;
        private readonly Action<IServiceCollection>? _services;

        public PortalFactory(string connectionString, Dictionary<string, string?> settings, Action<IServiceCollection>? services)
        {
            _connectionString = connectionString;
            _settings = settings;
            _services = services;
            UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Development");
            builder.UseSetting("ConnectionStrings:Portal", _connectionString);
            builder.UseSetting("ConnectionStrings:Redis", TestEnvironment.Redis ?? string.Empty);
            // Test output shows what went wrong, not every request (a test may lower it through Settings).
            builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");
            // Each host keeps its own Data Protection keys, like a separate machine would.
            builder.UseSetting("Portal:DataProtectionKeysPath", Path.Combine(Path.GetTempPath(), "portal-test-keys", Guid.NewGuid().ToString("N")));
            // Each host keeps its own runbook snapshot and journal, like a separate machine would.
            builder.UseSetting("Portal:DataPath", Path.Combine(Path.GetTempPath(), "portal-test-data", Guid.NewGuid().ToString("N")));
            foreach (var (key, value) in _settings)
            {
                builder.UseSetting(key, value);
            }

            if (_services is not null)
            {
                builder.ConfigureServices(_services);
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        if (_ownsDatabase)
        {
            await _database.DisposeAsync();
        }
    }
}
