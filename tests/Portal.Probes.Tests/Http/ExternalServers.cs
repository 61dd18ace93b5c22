using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Portal.Probes.Tests.Http;

/// <summary>A program from the machine (prometheus, blackbox exporter) on a free loopback port, stopped by its own pid.</summary>
public abstract class ExternalServer : IAsyncLifetime
{
    private Process? _process;

    protected string Directory { get; } = Path.Combine(Path.GetTempPath(), $"portal-{Guid.NewGuid():N}");

    public int Port { get; private set; }

    public Uri BaseUri => new($"http://127.0.0.1:{Port}");

    protected abstract string Program { get; }

    protected abstract string Package { get; }

    protected abstract IEnumerable<string> Arguments();

    /// <summary>True once the server answers the way tests need it to.</summary>
    protected abstract Task<bool> ReadyAsync(HttpClient http);

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Program), $"{Program} is missing: install the Debian package {Package}.");
        System.IO.Directory.CreateDirectory(Directory);
        Port = TestWebServer.FreePort();
        var psi = new ProcessStartInfo(Program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in Arguments())
        {
            psi.ArgumentList.Add(a);
        }

        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (await ReadyAsync(http))
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            Assert.False(_process.HasExited, $"{Program} exited with {(_process.HasExited ? _process.ExitCode : 0)}.");
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"{Program} was not ready within 30 s.");
            await Task.Delay(100);
        }
    }

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process?.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }

        return Task.CompletedTask;
    }
}

/// <summary>A real Prometheus scraping itself every second; ready once `up` has a sample.</summary>
public sealed class PrometheusFixture : ExternalServer
{
    protected override string Program => "/usr/bin/prometheus";

    protected override string Package => "prometheus";

    protected override IEnumerable<string> Arguments()
    {
        var config = Path.Combine(Directory, "prometheus.yml");
        File.WriteAllText(config, $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: prometheus
                static_configs:
                  - targets: ['127.0.0.1:{Port}']
            """);
        return [$"--config.file={config}", $"--storage.tsdb.path={Path.Combine(Directory, "data")}", $"--web.listen-address=127.0.0.1:{Port}"];
    }

    protected override async Task<bool> ReadyAsync(HttpClient http) =>
        (await http.GetStringAsync(new Uri(BaseUri, "/api/v1/query?query=up"))).Contains("\"value\"", StringComparison.Ordinal);
}

/// <summary>prometheus-blackbox-exporter with http_2xx (trusting the test CA) and tls_connect modules.</summary>
public sealed class BlackboxFixture : ExternalServer
{
    protected override string Program => "/usr/bin/prometheus-blackbox-exporter";

    protected override string Package => "prometheus-blackbox-exporter";

    protected override IEnumerable<string> Arguments()
    {
        var config = Path.Combine(Directory, "blackbox.yml");
        File.WriteAllText(config, $"""
            modules:
              http_2xx:
                prober: http
                timeout: 5s
                http:
                  preferred_ip_protocol: ip4
                  valid_status_codes: [200, 503]
                  tls_config:
                    ca_file: {TestCertificates.CaPemPath}
            """);
        return [$"--config.file={config}", $"--web.listen-address=127.0.0.1:{Port}"];
    }

    protected override async Task<bool> ReadyAsync(HttpClient http) => (await http.GetAsync(new Uri(BaseUri, "/-/healthy"))).IsSuccessStatusCode;

    /// <summary>/probe?target=…&amp;module=http_2xx, as metric name (with labels) → value.</summary>
    public async Task<Dictionary<string, double>> ProbeAsync(Uri target)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var text = await http.GetStringAsync(new Uri(BaseUri, $"/probe?module=http_2xx&target={Uri.EscapeDataString(target.ToString())}"));
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (Match m in Regex.Matches(text, @"^(probe_[a-z_]+(?:\{[^}]*\})?)\s+(\S+)$", RegexOptions.Multiline))
        {
            metrics[m.Groups[1].Value] = double.Parse(m.Groups[2].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        return metrics;
    }
}
