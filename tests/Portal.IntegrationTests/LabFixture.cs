using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Portal.Testing;

namespace Portal.IntegrationTests;

/// <summary>
/// One fault lab (scripts/lab.sh up: platform-api, fine-tuning-service, their own PostgreSQL and Redis on free
/// loopback ports) and one portal, shared by the fault matrix; the `lab` environment is registered through the
/// portal's API from the files lab.sh writes, as `scripts/lab.sh register` does.
/// </summary>
public sealed class LabFixture : IAsyncLifetime
{
    public const string Environment = "lab";

    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"portal-lab-{Guid.NewGuid():N}"[..24]);
    private readonly Dictionary<string, string> _env = [];

    public PortalHost Host { get; } = new();

    public HttpClient Client { get; private set; } = null!;

    /// <summary>Fault → seconds from POST /api/triage to the finished sweep, for docs/benchmarks.md.</summary>
    public Dictionary<string, (double Diagnosis, double Sweep, double Walkthrough)> Timings { get; } = [];

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Portal.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("No Portal.sln above the test binaries.");
        }
    }

    public async Task InitializeAsync()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0/
        _env["LAB_DIR"] = _dir;
        _env["LAB_APP"] = Path.Combine(RepoRoot, "src", "Portal.Lab.Platform", "bin", configuration, "net10.0", "Portal.Lab.Platform.dll");
        foreach (var name in new[] { "LAB_PG_PORT", "LAB_REDIS_PORT", "LAB_API_PORT", "LAB_FT_PORT", "LAB_TLS_PORT" })
        {
            _env[name] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        await Host.InitializeAsync();
        Client = Host.CreateClient();
        await LabAsync("up");
        foreach (var file in Directory.GetFiles(Path.Combine(_dir, "portal"), "*.json"))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            using var content = new StringContent(await File.ReadAllTextAsync(file), System.Text.Encoding.UTF8, "application/json");
            using var response = await Client.PutAsync(
                name == "triage-definition" ? $"/api/triage/definitions/{Environment}" : $"/api/environments/{Environment}/targets/{name}", content);
            Assert.True(response.IsSuccessStatusCode, $"registering {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    public async Task DisposeAsync()
    {
        // The numbers for docs/benchmarks.md: beside the test binaries, or where PORTAL_LAB_TIMINGS says.
        var timings = System.Environment.GetEnvironmentVariable("PORTAL_LAB_TIMINGS") ?? Path.Combine(AppContext.BaseDirectory, "fault-lab-timings.md");
        await File.WriteAllLinesAsync(timings,
        [
            "| Fault | Time to diagnosis | Sweep (first check to last) | Walkthrough to its end |",
            "|---|---|---|---|",
            .. Timings.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"| {t.Key} | {t.Value.Diagnosis:0.00} s | {t.Value.Sweep:0.00} s | {t.Value.Walkthrough:0.00} s |")),
        ]);
        try
        {
            await LabAsync("down");
        }
        finally
        {
            Client.Dispose();
            await Host.DisposeAsync();
            var pg = Path.Combine(_dir, "pg");
            if (new FileInfo(pg).LinkTarget is { } real && Directory.Exists(real))
            {
                Directory.Delete(real, recursive: true);
            }

            Directory.Delete(_dir, recursive: true);
        }
    }

    /// <summary>Runs scripts/lab.sh with the fixture's folder and ports; fails the test with its output when it fails.</summary>
    public async Task LabAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(RepoRoot, "scripts", "lab.sh"), .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in _env)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(limit.Token);
        Assert.True(process.ExitCode == 0, $"lab.sh {string.Join(' ', arguments)} exited {process.ExitCode}:\n{await stdout}\n{await stderr}");
    }

    /// <summary>Sweeps the lab and waits for the sweep to finish; returns it and how long it took.</summary>
    public async Task<(JsonElement Sweep, TimeSpan Elapsed)> TriageAsync()
    {
        var watch = Stopwatch.StartNew();
        using var response = await Client.PostAsJsonAsync("/api/triage", new { environment = Environment });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("sweepId").GetGuid();
        while (true)
        {
            var sweep = await Client.GetFromJsonAsync<JsonElement>($"/api/triage/{id}");
            if (sweep.GetProperty("status").GetString() == "done")
            {
                return (sweep, watch.Elapsed);
            }

            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"sweep {id} did not finish in 60 s");
            await Task.Delay(20);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
