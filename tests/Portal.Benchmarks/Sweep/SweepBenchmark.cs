using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Portal.Benchmarks.Infrastructure;

namespace Portal.Benchmarks.Sweep;

/// <summary>
/// Triage sweep timing through the API (POST /api/triage, then GET until done): a healthy environment
/// (target &lt;= 1 s) and the same with one HTTP target black-holed — a listener that accepts and never
/// answers — (target &lt;= that check's time limit + 0.5 s).
/// </summary>
public static class SweepBenchmark
{
    private const int HoleLimitSeconds = 2;

    public static async Task RunAsync(BenchResults results, int rounds)
    {
        await using var portal = await BenchPortal.StartAsync();
        using var hole = new TcpListener(IPAddress.Loopback, 0);
        hole.Start(); // accepted by the kernel, never read: every request waits out its time limit
        var live = portal.BaseAddress.ToString();
        await portal.PutTargetAsync("web", new { role = "web", kind = "http", baseUrl = live, allowLoopback = true });
        await PutDefinitionAsync(portal, "bench");
        var healthy = await TimeAsync(portal, "bench", rounds);
        results.Add("triage sweep of a healthy local environment", "<= 1 s", $"p50 {healthy[rounds / 2]:0} ms, max {healthy[^1]:0} ms ({rounds} sweeps)", healthy[^1] <= 1000);

        var holePort = ((IPEndPoint)hole.LocalEndpoint).Port;
        await portal.PutTargetAsync("hole", new { role = "web", kind = "http", baseUrl = $"http://127.0.0.1:{holePort}/", allowLoopback = true });
        var holed = await TimeAsync(portal, "bench", Math.Max(1, rounds / 3));
        var limit = (HoleLimitSeconds * 1000) + 500;
        results.Add("triage sweep with one target black-holed", $"<= time limit + 0.5 s ({limit} ms)", $"max {holed[^1]:0} ms", holed[^1] <= limit);
    }

    private static async Task PutDefinitionAsync(BenchPortal portal, string environment)
    {
        var checks = new object[]
        {
            new { targetKind = "http", probe = "http.check", parameters = new Dictionary<string, string> { ["path"] = "/health/live" }, timeoutSeconds = HoleLimitSeconds },
            new { targetKind = "host", probe = "tcp.connect", parameters = new Dictionary<string, string> { ["port"] = portal.BaseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) }, timeoutSeconds = HoleLimitSeconds },
        };
        using var put = await portal.Client.PutAsJsonAsync($"/api/triage/definitions/{environment}", new { checks });
        put.EnsureSuccessStatusCode();
    }

    /// <returns>Milliseconds per sweep, sorted.</returns>
    private static async Task<double[]> TimeAsync(BenchPortal portal, string environment, int rounds)
    {
        var times = new List<double>();
        for (var i = 0; i < rounds; i++)
        {
            var watch = Stopwatch.StartNew();
            using var start = await portal.Client.PostAsJsonAsync("/api/triage", new { environment });
            start.EnsureSuccessStatusCode();
            var id = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("sweepId").GetString();
            while ((await portal.Client.GetFromJsonAsync<JsonElement>($"/api/triage/{id}")).GetProperty("status").GetString() != "done")
            {
                await Task.Delay(10);
            }

            times.Add(watch.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        return [.. times];
    }
}
