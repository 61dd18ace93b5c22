using System.Runtime.CompilerServices;
using Portal.Probes.Contract;

namespace Portal.Probes.Probes.Http;

/// <summary>
/// N requests in a row to one path: each one's status and time as it happens, then
/// p50/p95/p99/max and the error count, judged against a threshold (the guide's 2 s).
/// </summary>
public sealed class HttpLatencyProbe : IProbe
{
    public ProbeDescriptor Descriptor { get; } = new(
        Kind: "http.latency",
        Title: "HTTP latency",
        TitleZh: "HTTP 响应时间",
        Description: "Sends a series of requests to a path and reports p50/p95/p99/max response times and errors against a threshold.",
        TargetKinds: [TargetKind.Http, TargetKind.Prometheus],
        Parameters:
        [
            new ProbeParameter("path", ParameterType.String, "Path under the target's base URL.", Default: "/health", Pattern: HttpText.PathPattern, MaxLength: 512),
            new ProbeParameter("samples", ParameterType.Integer, "How many requests.", Default: "10", Min: 1, Max: 200),
            new ProbeParameter("threshold_ms", ParameterType.Integer, "p95 above this fails.", Default: "2000", Min: 1, Max: 600000),
            new ProbeParameter("timeout_ms", ParameterType.Integer, "Time limit per request.", Default: "10000", Min: 100, Max: 60000),
        ],
        DefaultTimeout: TimeSpan.FromSeconds(60),
        MaxTimeout: TimeSpan.FromMinutes(10));

    public async IAsyncEnumerable<ProbeEvent> RunAsync(ProbeRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        var uri = HttpText.Under(request.Target.BaseUrl, request.Get("path"));
        if (uri is null)
        {
            yield return new Verdict(VerdictStatus.Error, $"Target '{request.Target.Name}' has no http(s) base URL this path can be joined to.");
            yield break;
        }

        var samples = request.GetInt("samples");
        var threshold = request.GetInt("threshold_ms");
        var timeout = TimeSpan.FromMilliseconds(request.GetInt("timeout_ms"));
        using var client = new GuardedHttpClient(request);
        yield return new OutputLine($"{samples} × GET {HttpText.Show(uri)} (threshold {threshold} ms)", OutputStream.Info);

        var times = new List<double>();
        var errors = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 1; i <= samples; i++)
        {
            // 64 KB of each body is enough to time a health endpoint; the connection is dropped after it.
            var attempt = await client.SendAsync(HttpMethod.Get, uri, 64 * 1024, timeout, ct);
            ct.ThrowIfCancellationRequested();
            var connections = client.TakeConnections();
            var ms = attempt.Elapsed.TotalMilliseconds;
            var fresh = connections.Count > 0 ? " (new connection)" : string.Empty;
            var error = attempt.Error ?? (attempt.Status >= 500 ? "status_" + ProbeText.Number(attempt.Status) : null);
            if (attempt.Error is "refused_by_policy" or "dns")
            {
                yield return new OutputLine($"#{i} {attempt.Error}: {attempt.ErrorDetail}", OutputStream.Stderr);
                yield return new Finding("http.error", attempt.Error);
                yield return new Verdict(VerdictStatus.Fail, $"GET {HttpText.Show(uri)}: {attempt.ErrorDetail}");
                yield break;
            }

            if (attempt.Responded || error == "timeout")
            {
                times.Add(ms); // a timeout is a (lower bound of a) response time too
            }

            if (error is not null)
            {
                errors[error] = errors.GetValueOrDefault(error) + 1;
            }

            yield return new OutputLine(
                $"#{i} {(attempt.Responded ? ProbeText.Number(attempt.Status) : attempt.Error)} {ProbeText.Ms(attempt.Elapsed)}{fresh}",
                error is null ? OutputStream.Stdout : OutputStream.Stderr);
            yield return new Metric("request_ms", ms, "ms");
        }

        var errorCount = errors.Values.Sum();
        yield return new Finding("http.latency.samples", ProbeText.Number(samples));
        yield return new Finding("http.latency.errors", ProbeText.Number(errorCount));
        if (errors.Count > 0)
        {
            // The most frequent failure, so rules like "http.error == timeout" can branch on it.
            yield return new Finding("http.error", errors.MaxBy(e => e.Value).Key);
        }

        if (times.Count == 0)
        {
            yield return new Verdict(VerdictStatus.Fail, $"All {samples} requests failed: {string.Join(", ", errors.Select(e => $"{e.Key} ×{e.Value}"))}.");
            yield break;
        }

        times.Sort();
        var p50 = Percentile(times, 50);
        var p95 = Percentile(times, 95);
        var p99 = Percentile(times, 99);
        var max = times[^1];
        foreach (var (name, value) in new[] { ("p50", p50), ("p95", p95), ("p99", p99), ("max", max), ("min", times[0]) })
        {
            yield return new Finding($"http.latency.{name}_ms", ProbeText.Number(Math.Round(value, 1)));
            yield return new Metric($"{name}_ms", value, "ms");
        }

        yield return new OutputLine(
            $"min {ProbeText.Number(Math.Round(times[0], 1))} / p50 {ProbeText.Number(Math.Round(p50, 1))} / p95 {ProbeText.Number(Math.Round(p95, 1))} / p99 {ProbeText.Number(Math.Round(p99, 1))} / max {ProbeText.Number(Math.Round(max, 1))} ms; {errorCount} of {samples} failed");

        var summary = $"p95 {ProbeText.Number(Math.Round(p95))} ms over {samples} requests (threshold {threshold} ms), {errorCount} failed";
        if (p95 > threshold || errorCount * 2 >= samples)
        {
            yield return new Verdict(VerdictStatus.Fail, summary + ".");
        }
        else if (errorCount > 0 || max > threshold)
        {
            yield return new Verdict(VerdictStatus.Warn, summary + (max > threshold ? $"; the slowest took {ProbeText.Number(Math.Round(max))} ms." : "."));
        }
        else
        {
            yield return new Verdict(VerdictStatus.Pass, summary + ".");
        }
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    internal static double Percentile(IReadOnlyList<double> sorted, int p)
    {
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }
}
