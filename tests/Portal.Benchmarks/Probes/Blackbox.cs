using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Portal.Benchmarks.Probes;

/// <summary>
/// prometheus-blackbox-exporter (Debian package) as a private process on a free loopback port with a
/// generated config; asked over HTTP like Prometheus would.
/// </summary>
public sealed partial class Blackbox : IAsyncDisposable
{
    private const string Config = """
        modules:
          http_2xx:
            prober: http
            timeout: 5s
            http:
              preferred_ip_protocol: ip4
              tls_config:
                insecure_skip_verify: true
          tcp_connect:
            prober: tcp
            timeout: 5s
            tcp:
              preferred_ip_protocol: ip4
          tls_connect:
            prober: tcp
            timeout: 5s
            tcp:
              preferred_ip_protocol: ip4
              tls: true
              tls_config:
                insecure_skip_verify: true
        """;

    private readonly Process _process;
    private readonly string _folder;

    private Blackbox(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public HttpClient Client { get; }

    public static async Task<Blackbox> StartAsync(string executable = "prometheus-blackbox-exporter")
    {
        var folder = Directory.CreateTempSubdirectory("portal-bench-blackbox-").FullName;
        var config = Path.Combine(folder, "blackbox.yml");
        await File.WriteAllTextAsync(config, Config);
        var port = FreePort();
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add($"--config.file={config}");
        start.ArgumentList.Add($"--web.listen-address=127.0.0.1:{port}");
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}");
        process.ErrorDataReceived += (_, _) => { };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var blackbox = new Blackbox(process, folder, port);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var response = await blackbox.Client.GetAsync("metrics");
                if (response.IsSuccessStatusCode)
                {
                    return blackbox;
                }
            }
            catch (HttpRequestException) when (deadline.Elapsed < TimeSpan.FromSeconds(20) && !process.HasExited)
            {
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(20) || process.HasExited)
            {
                await blackbox.DisposeAsync();
                throw new InvalidOperationException("prometheus-blackbox-exporter did not start");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>One probe; the metrics it answered (name with labels -> value).</summary>
    public async Task<Dictionary<string, double>> ProbeAsync(string module, string target)
    {
        var text = await Client.GetStringAsync($"probe?module={module}&target={Uri.EscapeDataString(target)}");
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (Match m in MetricLine().Matches(text))
        {
            metrics[m.Groups["name"].Value] = double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
        }

        return metrics;
    }

    [GeneratedRegex(@"^(?<name>[a-z_]+(?:\{[^}]*\})?) (?<value>[-+0-9.eE]+|NaN)$", RegexOptions.Multiline)]
    private static partial Regex MetricLine();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
