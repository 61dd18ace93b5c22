using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Portal.Probes.Contract;
using Portal.Testing;
using Portal.Testing.Servers;
using Portal.Web.Incidents;
using Portal.Web.Resilience;
using Portal.Web.Runs;

namespace Portal.IntegrationTests.Resilience;

/// <summary>
/// Two portal instances on one PostgreSQL database and one (private) Redis: runs, incident changes and
/// sign-ins cross instances; Redis is killed and started again in the middle.
/// </summary>
public sealed class ScaleOutTests : IAsyncLifetime
{
    private readonly PrivateRedis _redis = new();
    private PortalHost _a = null!;
    private PortalHost _b = null!;

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        _a = new PortalHost();
        Configure(_a);
        await _a.InitializeAsync();
        _b = PortalHost.OnDatabase(_a.Database);
        Configure(_b);
        await _b.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _b.DisposeAsync();
        await _a.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task RunStartedOnA_StreamsLiveToAHubClientOnB_ThroughRedis()
    {
        using var client = _a.CreateClient();
        var relay = _b.Services.GetRequiredService<RedisRunRelay>();
        var receivedBefore = relay.EventsReceived;

        var runId = await Faults.StartRunAsync(client, "platform-redis", 100, 20);
        var watch = Stopwatch.StartNew();
        var (events, firstBatchAt) = await StreamTimedAsync(_b, runId);

        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Seq));
        Assert.Contains(events, e => e.Type == RunEventTypes.Verdict && e.Value == "pass");
        Assert.Equal(100, events.Count(e => e.Type == RunEventTypes.Output && e.Text!.StartsWith("line ", StringComparison.Ordinal)));
        // Live: B's viewer had output long before the two-second run ended, and it came through Redis.
        Assert.True(firstBatchAt < TimeSpan.FromSeconds(1.5), $"first batch after {firstBatchAt.TotalMilliseconds:0} ms");
        Assert.True(relay.EventsReceived - receivedBefore >= 50, $"{relay.EventsReceived - receivedBefore} events came through Redis");
        Assert.NotNull(_a.Services.GetRequiredService<RunRegistry>().Find(runId));
        Assert.Null(_b.Services.GetRequiredService<RunRegistry>().Find(runId));
        Console.WriteLine($"run on A streamed on B: first batch after {firstBatchAt.TotalMilliseconds:0} ms, all {events.Count} events after {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task SignInCookieFromA_IsValidOnB()
    {
        var cookies = new CookieContainer();
        using var handler = new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false };
        using var browser = new HttpClient(handler);
        // As a browser does: the login page on A (its antiforgery token and cookie), then the form post to A.
        var page = await browser.GetStringAsync(new Uri(_a.BaseAddress, "/login"));
        var antiforgery = System.Text.RegularExpressions.Regex.Match(page, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        using var login = await browser.PostAsync(new Uri(_a.BaseAddress, "/account/login"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = antiforgery, ["Username"] = "admin", ["Password"] = _a.AdminPassword, ["ReturnUrl"] = "/",
        }));
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Contains(cookies.GetCookies(_a.BaseAddress), c => c.Name == "portal.auth");

        using var onB = await browser.GetAsync(new Uri(_b.BaseAddress, "/api/audit?limit=1"));
        using var anonymousOnB = await _b.CreateAnonymousClient().GetAsync(new Uri("/api/audit?limit=1", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, onB.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousOnB.StatusCode);
    }

    [Fact]
    public async Task IncidentChangedOnA_ViewersOnBAreTold()
    {
        using var client = _a.CreateClient();
        var incident = await Faults.StartIncidentAsync(client);
        var told = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = _b.Services.GetRequiredService<IncidentChanges>().Subscribe(incident, seq => told.TrySetResult(seq));

        var note = await Faults.PostOkAsync(client, $"/api/incidents/{incident}/notes", new { text = "seen on B" });

        Assert.Equal(note.GetProperty("seq").GetInt64(), await told.Task.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task RedisKilled_InstancesGoOnAlone_AndShareAgainWhenItIsBack()
    {
        var stateA = _a.Services.GetRequiredService<PortalDegradedState>();
        var stateB = _b.Services.GetRequiredService<PortalDegradedState>();
        using var client = _a.CreateClient();
        var incident = await Faults.StartIncidentAsync(client);

        await _redis.StopAsync();
        var detected = await Faults.WaitUntilAsync(() => stateA.RedisDown && stateB.RedisDown, TimeSpan.FromSeconds(5), "both instances noticing Redis is down");

        // Single-instance mode: a run on A streams on A (in process) and, from PostgreSQL, on B; A's viewers hear of A's changes.
        var told = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        using (_a.Services.GetRequiredService<IncidentChanges>().Subscribe(incident, seq => told.TrySetResult(seq)))
        {
            await Faults.PostOkAsync(client, $"/api/incidents/{incident}/notes", new { text = "while Redis is down" });
            await told.Task.WaitAsync(TimeSpan.FromSeconds(5));
        }

        var alone = await Faults.StartRunAsync(client, "platform-redis", 20, 10);
        var onA = await Faults.StreamAsync(_a, alone);
        var onB = await Faults.StreamAsync(_b, alone);
        Assert.Equal(onA.Select(e => e.Seq), onB.Select(e => e.Seq));
        Assert.Contains(onA, e => e.Type == RunEventTypes.Verdict && e.Value == "pass");

        await _redis.StartAsync();
        var recovered = await Faults.WaitUntilAsync(() => !stateA.RedisDown && !stateB.RedisDown, TimeSpan.FromSeconds(10), "both instances using Redis again");

        var relay = _b.Services.GetRequiredService<RedisRunRelay>();
        var receivedBefore = relay.EventsReceived;
        var shared = await Faults.StartRunAsync(client, "platform-redis", 50, 20);
        var (events, _) = await StreamTimedAsync(_b, shared);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Seq));
        Assert.True(relay.EventsReceived > receivedBefore, "after Redis came back, B received run events through it");
        Console.WriteLine($"Redis outage noticed after {detected.TotalSeconds:0.00} s, recovery after {recovered.TotalSeconds:0.00} s");
    }

    private static async Task<(List<RunEvent> Events, TimeSpan FirstBatch)> StreamTimedAsync(PortalHost host, Guid runId)
    {
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(host.BaseAddress, "/hubs/runs"), o => o.AccessTokenProvider = () => Task.FromResult(host.AdminToken))
            .Build();
        var watch = Stopwatch.StartNew();
        await connection.StartAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var events = new List<RunEvent>();
        TimeSpan? first = null;
        await foreach (var batch in connection.StreamAsync<List<RunEvent>>("StreamRun", runId, 0L, deadline.Token))
        {
            first ??= watch.Elapsed;
            events.AddRange(batch);
        }

        return (events, first ?? watch.Elapsed);
    }

    private void Configure(PortalHost host)
    {
        host.Settings["ConnectionStrings:Redis"] = _redis.ConnectionString;
        host.ConfigureServices = s => s.AddSingleton<IProbe, LinesProbe>();
    }
}
