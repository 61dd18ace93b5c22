using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Portal.Probes.Contract;

namespace Portal.Probes.Probes.Http;

/// <summary>
/// A PromQL query against the target Prometheus (instant, or range with start/end/step), with
/// presets for the guide's questions (p95 latency, error rate, up). Prints every series with its
/// labels and value; Pass with data, Warn when empty, Fail when Prometheus reports an error — or,
/// when a threshold is given (presets carry the guide's), when a value crosses it.
/// </summary>
public sealed class PrometheusQueryProbe : IProbe
{
    private const string DurationPattern = @"[0-9]{1,6}(ms|s|m|h|d|w)|[0-9]{1,6}(\.[0-9]{1,3})?";
    private const string TimePattern = @"now|now-([0-9]{1,6}(s|m|h|d|w))|[0-9]{9,11}(\.[0-9]{1,3})?|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})";
    private const string NumberPattern = @"-?[0-9]{1,12}(\.[0-9]{1,9})?";
    private const int MaxSeriesShown = 50;

    public ProbeDescriptor Descriptor { get; } = new(
        Kind: "prometheus.query",
        Title: "Prometheus query",
        TitleZh: "Prometheus 查询",
        Description: "Runs a PromQL instant or range query (or a preset: p95 latency, error rate, up) and reports every series with its labels and values.",
        TargetKinds: [TargetKind.Prometheus],
        Parameters:
        [
            new ProbeParameter("query", ParameterType.String, "PromQL expression (or use a preset).", MaxLength: 1000),
            new ProbeParameter("preset", ParameterType.Choice, "A ready-made query: p95_latency (s), error_rate (5xx share), up.", Choices: ["p95_latency", "error_rate", "up"]),
            new ProbeParameter("job", ParameterType.String, "The job label presets filter on, e.g. platform-api.", Pattern: "[A-Za-z0-9_:.-]{1,64}", MaxLength: 64),
            new ProbeParameter("start", ParameterType.String, "Range query start: RFC 3339, Unix seconds, or now-1h.", Pattern: TimePattern, MaxLength: 40),
            new ProbeParameter("end", ParameterType.String, "Range query end (default now).", Pattern: TimePattern, MaxLength: 40),
            new ProbeParameter("step", ParameterType.String, "Range query step, e.g. 1m (default: range/100, at least 1s).", Pattern: DurationPattern, MaxLength: 12),
            new ProbeParameter("warn_above", ParameterType.String, "Warn when any value is above this.", Pattern: NumberPattern, MaxLength: 24),
            new ProbeParameter("fail_above", ParameterType.String, "Fail when any value is above this.", Pattern: NumberPattern, MaxLength: 24),
            new ProbeParameter("timeout_ms", ParameterType.Integer, "Time limit for the query.", Default: "15000", Min: 100, Max: 60000),
        ],
        DefaultTimeout: TimeSpan.FromSeconds(30),
        MaxTimeout: TimeSpan.FromSeconds(120));

    public async IAsyncEnumerable<ProbeEvent> RunAsync(ProbeRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        var preset = request.GetOptional("preset");
        var query = request.GetOptional("query");
        if ((query is null) == (preset is null))
        {
            yield return new Verdict(VerdictStatus.Error, "Give either a query or a preset (exactly one).");
            yield break;
        }

        var (expression, presetWarn, presetFail, presetDown) = preset is null ? (query!, null, null, false) : Preset(preset, request.GetOptional("job"));
        var warnAbove = Parse(request.GetOptional("warn_above")) ?? presetWarn;
        var failAbove = Parse(request.GetOptional("fail_above")) ?? presetFail;
        var now = DateTimeOffset.UtcNow;
        var range = request.GetOptional("start") is not null;
        string path;
        if (range)
        {
            var from = ParseTime(request.Get("start"), now);
            var to = request.GetOptional("end") is { } e ? ParseTime(e, now) : now;
            if (from is null || to is null || to <= from)
            {
                yield return new Verdict(VerdictStatus.Error, "start must be before end (and both valid times).");
                yield break;
            }

            var step = request.GetOptional("step") ?? Seconds(Math.Max(1, (to.Value - from.Value).TotalSeconds / 100));
            path = $"/api/v1/query_range?query={Uri.EscapeDataString(expression)}&start={Seconds(from.Value.ToUnixTimeMilliseconds() / 1000.0)}&end={Seconds(to.Value.ToUnixTimeMilliseconds() / 1000.0)}&step={Uri.EscapeDataString(step)}";
        }
        else
        {
            path = $"/api/v1/query?query={Uri.EscapeDataString(expression)}";
        }

        var uri = HttpText.Under(request.Target.BaseUrl, path);
        if (uri is null)
        {
            yield return new Verdict(VerdictStatus.Error, $"Target '{request.Target.Name}' has no http(s) base URL.");
            yield break;
        }

        yield return new OutputLine($"{(range ? "range" : "instant")} query: {GuardedHttpClient.Shorten(expression, 200)}", OutputStream.Info);
        using var client = new GuardedHttpClient(request);
        var attempt = await client.SendAsync(HttpMethod.Get, uri, GuardedHttpClient.BodyCap, TimeSpan.FromMilliseconds(request.GetInt("timeout_ms")), ct);
        ct.ThrowIfCancellationRequested();
        _ = client.TakeConnections();
        if (!attempt.Responded || attempt.Error is not null)
        {
            yield return new Finding("prometheus.error", attempt.Error ?? "error");
            yield return new Verdict(VerdictStatus.Fail, $"Prometheus did not answer: {attempt.Error} ({attempt.ErrorDetail}).");
            yield break;
        }

        yield return new Metric("query_ms", attempt.Elapsed.TotalMilliseconds, "ms");
        var result = PromResult.TryParse(attempt.Body, attempt.BodyTruncated);
        if (result is null)
        {
            yield return new Finding("prometheus.error", "bad_response");
            yield return new Verdict(VerdictStatus.Fail, $"{HttpText.Show(uri).Split('?')[0]} answered {attempt.Status} with something that is not a Prometheus API response.");
            yield break;
        }

        if (result.Error is not null)
        {
            yield return new OutputLine($"! {result.ErrorType}: {result.Error}", OutputStream.Stderr);
            yield return new Finding("prometheus.error", result.ErrorType ?? "error");
            yield return new Verdict(VerdictStatus.Fail, $"Prometheus refused the query ({result.ErrorType}): {GuardedHttpClient.Shorten(result.Error, 300)}");
            yield break;
        }

        yield return new Finding("prometheus.result_type", result.Type);
        yield return new Finding("prometheus.result_count", ProbeText.Number(result.Series.Count));
        foreach (var s in result.Series.Take(MaxSeriesShown))
        {
            yield return new OutputLine($"{s.Labels} => {ProbeText.Number(s.Last)}" + (s.Points > 1 ? $" (min {ProbeText.Number(s.Min)}, max {ProbeText.Number(s.Max)}, {s.Points} points)" : string.Empty));
        }

        if (result.Series.Count > MaxSeriesShown)
        {
            yield return new OutputLine($"… {result.Series.Count - MaxSeriesShown} more series");
        }

        if (result.Series.Count == 0)
        {
            yield return new Verdict(VerdictStatus.Warn, "The query succeeded but returned no data (no matching series: is the job scraped, the metric named right?).");
            yield break;
        }

        var values = result.Series.Where(s => !double.IsNaN(s.Max)).ToList();
        yield return new Finding("prometheus.value", ProbeText.Number(result.Series[0].Last));
        if (values.Count > 0)
        {
            yield return new Finding("prometheus.max", ProbeText.Number(values.Max(s => s.Max)));
            yield return new Finding("prometheus.min", ProbeText.Number(values.Min(s => s.Min)));
        }

        var max = values.Count > 0 ? values.Max(s => s.Max) : double.NaN;
        var peak = values.Count > 0 ? values.MaxBy(s => s.Max)!.Labels : string.Empty;
        if (presetDown && result.Series.Where(s => s.Last == 0).Select(s => s.Labels).ToList() is { Count: > 0 } down)
        {
            yield return new Finding("prometheus.down", ProbeText.Number(down.Count));
            yield return new Verdict(VerdictStatus.Fail, $"{down.Count} of {result.Series.Count} targets are down: {GuardedHttpClient.Shorten(string.Join(", ", down), 300)}.");
        }
        else if (failAbove is { } f && max > f)
        {
            yield return new Verdict(VerdictStatus.Fail, $"{ProbeText.Number(max)} at {GuardedHttpClient.Shorten(peak, 200)} is above {ProbeText.Number(f)}.");
        }
        else if (warnAbove is { } w && max > w)
        {
            yield return new Verdict(VerdictStatus.Warn, $"{ProbeText.Number(max)} at {GuardedHttpClient.Shorten(peak, 200)} is above {ProbeText.Number(w)}.");
        }
        else
        {
            var limit = warnAbove ?? failAbove;
            yield return new Verdict(VerdictStatus.Pass, $"{result.Series.Count} series; first value {ProbeText.Number(result.Series[0].Last)}"
                + (limit is { } l ? $", all at or below {ProbeText.Number(l)}." : "."));
        }
    }

    /// <summary>The guide's questions as PromQL, with its thresholds: p95 over 2 s fails, 5xx share over 5 % fails (1 % warns).</summary>
    internal static (string Query, double? Warn, double? Fail, bool Down) Preset(string preset, string? job)
    {
        var sel = job is null ? string.Empty : $"job=\"{job}\"";
        var comma = job is null ? string.Empty : ",";
        return preset switch
        {
            "p95_latency" => ($"histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{{{sel}}}[5m])))", null, 2.0, false),
            "error_rate" => ($"sum(rate(http_requests_total{{{sel}{comma}status=~\"5..\"}}[5m])) / sum(rate(http_requests_total{{{sel}}}[5m]))", 0.01, 0.05, false),
            _ => (job is null ? "up" : $"up{{{sel}}}", null, null, true),
        };
    }

    private static double? Parse(string? s) => s is null ? null : double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static string Seconds(double s) => s.ToString("0.###", CultureInfo.InvariantCulture);

    internal static DateTimeOffset? ParseTime(string s, DateTimeOffset now)
    {
        if (s == "now")
        {
            return now;
        }

        if (s.StartsWith("now-", StringComparison.Ordinal))
        {
            var n = long.Parse(s[4..^1], CultureInfo.InvariantCulture);
            return s[^1] switch
            {
                's' => now.AddSeconds(-n),
                'm' => now.AddMinutes(-n),
                'h' => now.AddHours(-n),
                'd' => now.AddDays(-n),
                'w' => now.AddDays(-7 * n),
                _ => null,
            };
        }

        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var unix))
        {
            return DateTimeOffset.FromUnixTimeMilliseconds((long)(unix * 1000));
        }

        return DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;
    }
}

internal sealed record PromSeries(string Labels, double Last, double Min, double Max, int Points);

/// <summary>The Prometheus HTTP API envelope: {"status","data":{"resultType","result"},"errorType","error"}.</summary>
internal sealed record PromResult(string Type, IReadOnlyList<PromSeries> Series, string? ErrorType, string? Error)
{
    public static PromResult? TryParse(byte[] body, bool truncated)
    {
        if (truncated)
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("status", out var status))
            {
                return null;
            }

            if (status.GetString() != "success")
            {
                return new PromResult("error", [], root.TryGetProperty("errorType", out var et) ? et.GetString() : "error",
                    root.TryGetProperty("error", out var er) ? er.GetString() ?? "?" : "?");
            }

            var data = root.GetProperty("data");
            var type = data.GetProperty("resultType").GetString() ?? "?";
            var result = data.GetProperty("result");
            var series = new List<PromSeries>();
            switch (type)
            {
                case "scalar" or "string":
                    series.Add(new PromSeries("{}", Value(result), Value(result), Value(result), 1));
                    break;
                case "vector":
                    foreach (var s in result.EnumerateArray())
                    {
                        var v = Value(s.GetProperty("value"));
                        series.Add(new PromSeries(Labels(s), v, v, v, 1));
                    }

                    break;
                case "matrix":
                    foreach (var s in result.EnumerateArray())
                    {
                        var points = s.GetProperty("values").EnumerateArray().Select(Value).ToList();
                        if (points.Count > 0)
                        {
                            var real = points.Where(p => !double.IsNaN(p)).DefaultIfEmpty(double.NaN).ToList();
                            series.Add(new PromSeries(Labels(s), points[^1], real.Min(), real.Max(), points.Count));
                        }
                    }

                    break;
                default:
                    return null;
            }

            return new PromResult(type, series, null, null);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>[timestamp, "value"]: the value as a number ("NaN", "+Inf" included).</summary>
    private static double Value(JsonElement pair) =>
        pair.ValueKind == JsonValueKind.Array && pair.GetArrayLength() == 2 && pair[1].GetString() is { } s
            ? s switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                _ => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN,
            }
            : double.NaN;

    private static string Labels(JsonElement series)
    {
        if (!series.TryGetProperty("metric", out var metric) || metric.ValueKind != JsonValueKind.Object)
        {
            return "{}";
        }

        var name = metric.TryGetProperty("__name__", out var n) ? n.GetString() : null;
        var b = new StringBuilder(name);
        b.Append('{');
        b.AppendJoin(", ", metric.EnumerateObject().Where(p => p.Name != "__name__").Select(p => $"{p.Name}=\"{HttpText.Printable(p.Value.GetString() ?? string.Empty)}\""));
        b.Append('}');
        return GuardedHttpClient.Shorten(b.ToString(), 300);
    }
}
