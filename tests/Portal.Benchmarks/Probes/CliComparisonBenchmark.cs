using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.SignalR.Client;
using Portal.Benchmarks.Infrastructure;
using Portal.Web.Runs;

namespace Portal.Benchmarks.Probes;

/// <summary>
/// (3) Time per diagnosis: portal probes (API + live stream until the run's last event) vs the guide's
/// own commands (a new process each time, as an engineer types them) and vs prometheus-blackbox-exporter
/// on the same targets, with the answers compared.
/// </summary>
public sealed class CliComparisonBenchmark(int repeats)
{
    public async Task RunAsync(BenchResults results)
    {
        var local = LocalTargets.FromEnvironment();
        await using var portal = await BenchPortal.StartAsync();
        await using var tls = await TlsListener.StartAsync();
        await portal.PutTargetAsync("redis", new { role = "redis", kind = "redis", host = local.RedisHost, port = local.RedisPort, password = local.RedisPassword, allowLoopback = true });
        await portal.PutTargetAsync("pg", new { role = "pg", kind = "postgres", host = local.PgHost, port = local.PgPort, database = "postgres", username = local.PgUser, password = local.PgPassword, allowLoopback = true });
        await portal.PutTargetAsync("web", new { role = "web", kind = "http", baseUrl = portal.BaseAddress.ToString().TrimEnd('/'), allowLoopback = true });
        await portal.PutTargetAsync("tls", new { role = "tls", kind = "http", baseUrl = $"https://localhost:{tls.Port}", allowLoopback = true });
        await using var hub = portal.CreateHubConnection();
        await hub.StartAsync();
        var diagnose = new PortalDiagnosis(portal, hub);
        var health = new Uri(portal.BaseAddress, "/health/live").ToString();

        var redisEnv = new Dictionary<string, string?> { ["REDISCLI_AUTH"] = local.RedisPassword };
        var pgEnv = new Dictionary<string, string?> { ["PGPASSWORD"] = local.PgPassword, ["PGCONNECT_TIMEOUT"] = "10" };
        string[] redisArgs = ["-h", local.RedisHost, "-p", Str(local.RedisPort)];
        var pairs = new (string Probe, Func<Task<PortalAnswer>> Portal, string Command, string Cli, string[] Args, Dictionary<string, string?>? Env)[]
        {
            ("redis.ping", () => diagnose.RunAsync("redis.ping", new { count = "1", interval_ms = "0" }, "redis"), "redis-cli ping", "redis-cli", [.. redisArgs, "ping"], redisEnv),
            ("redis.memory", () => diagnose.RunAsync("redis.memory", new { }, "redis"), "redis-cli info memory", "redis-cli", [.. redisArgs, "info", "memory"], redisEnv),
            ("postgres.connect", () => diagnose.RunAsync("postgres.connect", new { }, "pg"), "psql -c 'select 1'", "psql",
                ["-X", "-h", local.PgHost, "-p", Str(local.PgPort), "-U", local.PgUser, "-d", "postgres", "-c", "select 1"], pgEnv),
            ("http.check", () => diagnose.RunAsync("http.check", new { path = "/health/live" }, "web"), "curl -w %{http_code}", "curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", health], null),
        };

        foreach (var (probe, runPortal, command, cli, args, env) in pairs)
        {
            await runPortal(); // warm-up: JIT, connection pools
            await Cli.RunAsync(cli, args, env);
            var portalTimes = new List<double>();
            var postTimes = new List<double>();
            var cliTimes = new List<double>();
            PortalAnswer? answer = null;
            for (var i = 0; i < repeats; i++)
            {
                // Alternate which goes first so neither always meets the warmer caches.
                if (i % 2 == 0)
                {
                    answer = await runPortal();
                    portalTimes.Add(answer.Ms);
                    postTimes.Add(answer.PostMs);
                    cliTimes.Add(await Cli.RunAsync(cli, args, env));
                }
                else
                {
                    cliTimes.Add(await Cli.RunAsync(cli, args, env));
                    answer = await runPortal();
                    portalTimes.Add(answer.Ms);
                    postTimes.Add(answer.PostMs);
                }
            }

            var p = Stats.Summarize(portalTimes);
            var c = Stats.Summarize(cliTimes);
            var speedup = c.P50 / p.P50;
            results.Detail($"{probe}: portal {p} ms (of which POST /api/runs p50 {Stats.Summarize(postTimes).P50:0.0} ms; verdict {answer!.Verdict}, {answer.Findings.Count} findings); {cli} {c} ms");
            results.Add($"{probe} vs `{command}`",
                "portal >= 5x faster per diagnosis",
                $"portal p50 {Fmt.Ms(p.P50)}, {cli} p50 {Fmt.Ms(c.P50)}: {Fmt.Ratio(speedup)}", speedup >= 5,
                $"verdict {answer.Verdict}, {answer.Findings.Count} structured findings");
        }

        await CompareWithBlackboxAsync(results, diagnose, health, tls, local);
    }

    private async Task CompareWithBlackboxAsync(BenchResults results, PortalDiagnosis diagnose, string health, TlsListener tls, LocalTargets local)
    {
        await using var blackbox = await Blackbox.StartAsync();
        var closed = ClosedPort();
        var cases = new (string Name, Func<Task<PortalAnswer>> Portal, string Module, string Target, Func<PortalAnswer, Dictionary<string, double>, (bool Same, string Said)> Compare)[]
        {
            ("http.check", () => diagnose.RunAsync("http.check", new { path = "/health/live" }, "web"), "http_2xx", health, (p, b) =>
            {
                var portalSays = $"{p.Verdict}/{p.Find("http.status")}";
                var bbSays = $"{Success(b)}/{b.GetValueOrDefault("probe_http_status_code")}";
                return (p.Verdict == "pass" && p.Find("http.status") == "200" && Success(b) && b.GetValueOrDefault("probe_http_status_code") == 200, $"portal {portalSays}, blackbox {bbSays}");
            }),
            ("tls.inspect", () => diagnose.RunAsync("tls.inspect", new { }, "tls"), "tls_connect", $"localhost:{tls.Port}", (p, b) =>
            {
                var version = b.Keys.FirstOrDefault(k => k.StartsWith("probe_tls_version_info", StringComparison.Ordinal)) ?? "";
                var expiry = DateTimeOffset.FromUnixTimeSeconds((long)b.GetValueOrDefault("probe_ssl_earliest_cert_expiry")).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
                var same = p.Find("tls.handshake") == "ok" && Success(b)
                           && Digits(version) == Digits(p.Find("tls.protocol"))
                           && p.Find("tls.not_after") == expiry;
                return (same, $"portal handshake {p.Find("tls.handshake")} {p.Find("tls.protocol")} expires {p.Find("tls.not_after")} (verdict {p.Verdict}: self-signed); blackbox success {Success(b)} {version} expires {expiry}");
            }),
            ("tcp.connect (open)", () => diagnose.RunAsync("tcp.connect", new { }, "redis"), "tcp_connect", $"127.0.0.1:{local.RedisPort}", (p, b) =>
                (p.Find("tcp.connected") == "1" && Success(b), $"portal connected={p.Find("tcp.connected")} {p.Verdict}, blackbox success {Success(b)}")),
            ("tcp.connect (closed port)", () => diagnose.RunAsync("tcp.connect", new { port = Str(closed) }, "box"), "tcp_connect", $"127.0.0.1:{closed}", (p, b) =>
                (p.Verdict == "fail" && !Success(b), $"portal {p.Verdict} ({p.Find("tcp.error")}), blackbox success {Success(b)}")),
        };

        foreach (var (name, runPortal, module, target, compare) in cases)
        {
            await runPortal();
            await blackbox.ProbeAsync(module, target);
            var portalTimes = new List<double>();
            var bbTimes = new List<double>();
            PortalAnswer answer = null!;
            Dictionary<string, double> bb = null!;
            for (var i = 0; i < repeats; i++)
            {
                answer = await runPortal();
                portalTimes.Add(answer.Ms);
                var started = Stopwatch.GetTimestamp();
                bb = await blackbox.ProbeAsync(module, target);
                bbTimes.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            var p = Stats.Summarize(portalTimes);
            var b = Stats.Summarize(bbTimes);
            var (same, said) = compare(answer, bb);
            results.Detail($"{name}: portal {p} ms; blackbox {b} ms; {said}");
            results.Add($"{name} vs blackbox_exporter {module}", "equal or faster, same answers",
                $"portal p50 {Fmt.Ms(p.P50)}, blackbox p50 {Fmt.Ms(b.P50)} ({Fmt.Ratio(b.P50 / p.P50)}); answers {(same ? "same" : "DIFFER")}",
                p.P50 <= b.P50 && same, said);
        }
    }

    /// <summary>"TLSv1.3" (portal) and probe_tls_version_info{version="TLS 1.3"} (blackbox) both say 1.3.</summary>
    private static string Digits(string? text) => new([.. (text ?? "").Where(c => char.IsDigit(c) || c == '.').SkipWhile(c => c == '.')]);

    private static bool Success(Dictionary<string, double> metrics) => metrics.GetValueOrDefault("probe_success") == 1;

    private static string Str(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port; // closed again when disposed
    }

    /// <summary>One diagnosis through the portal: start the run, read its live stream until the last event.</summary>
    private sealed class PortalDiagnosis(BenchPortal portal, HubConnection hub)
    {
        public async Task<PortalAnswer> RunAsync(string kind, object parameters, string target)
        {
            var started = Stopwatch.GetTimestamp();
            var runId = await portal.StartRunAsync(kind, parameters, target);
            var posted = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var findings = new Dictionary<string, string>(StringComparer.Ordinal);
            var verdict = "";
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await foreach (var batch in hub.StreamAsync<List<RunEvent>>("StreamRun", runId, 0L, deadline.Token))
            {
                foreach (var e in batch)
                {
                    if (e.Type == RunEventTypes.Finding)
                    {
                        findings[e.Key!] = e.Value ?? "";
                    }
                    else if (e.Type == RunEventTypes.Verdict)
                    {
                        verdict = e.Value ?? "";
                    }
                }

                if (batch.Count > 0 && batch[^1].IsTerminal)
                {
                    break;
                }
            }

            return new PortalAnswer(Stopwatch.GetElapsedTime(started).TotalMilliseconds, verdict, findings) { PostMs = posted };
        }
    }
}

public sealed record PortalAnswer(double Ms, string Verdict, Dictionary<string, string> Findings)
{
    /// <summary>Of <see cref="Ms"/>: until POST /api/runs answered (validation, inventory, run row, audit).</summary>
    public double PostMs { get; init; }

    public string? Find(string key) => Findings.GetValueOrDefault(key);
}

/// <summary>A command as an engineer runs it: a new process, output read, until it exits.</summary>
public static class Cli
{
    public static async Task<double> RunAsync(string file, string[] args, Dictionary<string, string?>? env)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env ?? [])
        {
            start.Environment[k] = v;
        }

        var started = Stopwatch.GetTimestamp();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        await Task.WhenAll(stdout, stderr);
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} exited {process.ExitCode}: {(await stderr).Trim()}");
        }

        return ms;
    }
}
