using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Portal.Probes.Contract;
using Portal.Testing;
using Portal.Web.Runs;

namespace Portal.IntegrationTests;

/// <summary>Probe runs per user and sign-ins per client address are limited; everyone else carries on.</summary>
public sealed class RateLimitTests : IAsyncLifetime
{
    private readonly PortalHost _host = new() { ConfigureServices = s => s.AddSingleton<IProbe, LinesProbe>() };

    public async Task InitializeAsync()
    {
        _host.Settings["Portal:RateLimits:ProbeRunsPerMinute"] = "3";
        _host.Settings["Portal:RateLimits:SignInsPerMinute"] = "5";
        await _host.InitializeAsync();
        using var put = await _host.CreateClient().PutAsJsonAsync("/api/environments/test/targets/box", new { role = "box", kind = "host", host = "127.0.0.1", allowLoopback = true });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
    }

    public Task DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task ProbeRuns_OverTheUsersLimit_Refused429WithRetryAfterAndAudited_OtherUsersUnaffected()
    {
        using var first = _host.CreateClient(await _host.IssueTokenAsync("busy", await _host.CreateUserAsync("busy", "responder")));
        using var second = _host.CreateClient(await _host.IssueTokenAsync("calm", await _host.CreateUserAsync("calm", "responder")));
        var run = new { kind = "test.lines", environment = "test", target = "box", parameters = new { lines = "1" } };

        for (var i = 0; i < 3; i++)
        {
            using var ok = await first.PostAsJsonAsync("/api/runs", run);
            Assert.Equal(HttpStatusCode.Accepted, ok.StatusCode);
        }

        using var refused = await first.PostAsJsonAsync("/api/runs", run);
        using var other = await second.PostAsJsonAsync("/api/runs", run);
        // The probes page and walkthroughs go through the same runner, so they share the budget.
        var ui = await _host.Services.GetRequiredService<ProbeRunner>().StartAsync(new RunRequest("test.lines", "test", "box"), "busy", "ui", CancellationToken.None);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var retryAfter = int.Parse(Assert.Single(refused.Headers.GetValues("Retry-After")), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal($"Too many probe runs: wait {retryAfter} s.", problem.GetProperty("errors").GetProperty("rate")[0].GetString());
        Assert.Equal(HttpStatusCode.Accepted, other.StatusCode);
        Assert.Null(ui.RunId);
        Assert.StartsWith("Too many probe runs: wait ", ui.Errors[RunStartResult.RateField], StringComparison.Ordinal);
        var audit = await _host.CreateClient().GetFromJsonAsync<JsonElement>("/api/audit?actor=busy&action=probe.run");
        Assert.Equal(2, audit.EnumerateArray().Count(e => e.GetProperty("outcome").GetString() == "rate_limited"));
        Assert.Equal(3, audit.EnumerateArray().Count(e => e.GetProperty("outcome").GetString() == "started"));
    }

    [Fact]
    public async Task SignIn_OverTheAddressLimit_Answers429WithRetryAfter_OnBothDoors_OtherAddressesUnaffected()
    {
        // The host's own admin token was the first sign-in from 127.0.0.1.
        using var anonymous = _host.CreateAnonymousClient();
        for (var i = 0; i < 4; i++)
        {
            using var wrong = await anonymous.PostAsJsonAsync("/api/auth/token", new { username = "nobody", password = "guess-" + i });
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using var limited = await anonymous.PostAsJsonAsync("/api/auth/token", new { username = "admin", password = _host.AdminPassword });
        using var form = await anonymous.PostAsync(new Uri("/account/login", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["username"] = "admin", ["password"] = _host.AdminPassword,
        }));
        using var elsewhere = FromAddress("127.0.0.2");
        using var fromElsewhere = await elsewhere.PostAsJsonAsync("/api/auth/token", new { username = "admin", password = _host.AdminPassword });
        using var signedIn = await _host.CreateClient().GetAsync(new Uri("/api/runbooks", UriKind.Relative));

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.InRange(int.Parse(Assert.Single(limited.Headers.GetValues("Retry-After")), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        Assert.Contains("Too many sign-in attempts", await limited.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.TooManyRequests, form.StatusCode);
        Assert.Equal(HttpStatusCode.OK, fromElsewhere.StatusCode);
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        var audit = await _host.CreateClient().GetFromJsonAsync<JsonElement>("/api/audit?action=sign-in");
        var refusals = audit.EnumerateArray().Where(e => e.GetProperty("outcome").GetString() == "rate_limited").ToList();
        Assert.Equal(["/account/login", "/api/auth/token"], refusals.Select(e => e.GetProperty("target").GetString()).Order(StringComparer.Ordinal));
        Assert.All(refusals, e => Assert.Equal("127.0.0.1", e.GetProperty("source").GetString()));
    }

    /// <summary>A client whose connections come from another loopback address (Linux routes all of 127/8 locally).</summary>
    private HttpClient FromAddress(string address)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        return new HttpClient(handler) { BaseAddress = _host.BaseAddress };
    }
}
