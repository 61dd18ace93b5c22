using System.Globalization;
using System.Runtime.CompilerServices;
using Portal.Probes.Contract;
using Portal.Probes.Network;

namespace Portal.Probes.Probes.Redis;

/// <summary>
/// <c>redis-cli ping</c>, N times: each reply streamed as it arrives with its round-trip time,
/// then min/avg/p99. Failures are classified (refused, timeout, auth_failed, loading, dns,
/// refused_by_policy…) into <c>redis.error</c>; while the server is loading, the progress is read
/// from INFO persistence.
/// </summary>
public sealed class RedisPingProbe : IProbe
{
    public ProbeDescriptor Descriptor { get; } = new(
        Kind: "redis.ping",
        Title: "Redis ping",
        TitleZh: "Redis 连通性（PING）",
        Description: "Connects and authenticates to Redis, sends N PINGs and reports each round trip and the min/avg/p99 latency.",
        TargetKinds: [TargetKind.Redis],
        Parameters:
        [
            new ProbeParameter("count", ParameterType.Integer, "How many PINGs to send.", Default: "5", Min: 1, Max: 100),
            new ProbeParameter("interval_ms", ParameterType.Integer, "Pause between PINGs, in ms.", Default: "100", Min: 0, Max: 5000),
            new ProbeParameter("warn_ms", ParameterType.Integer, "Warn when the average round trip is above this, in ms.", Default: "50", Min: 1, Max: 60000),
            RedisSession.TimeoutParameter,
        ],
        DefaultTimeout: TimeSpan.FromSeconds(30),
        MaxTimeout: TimeSpan.FromMinutes(5));

    public async IAsyncEnumerable<ProbeEvent> RunAsync(ProbeRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var session = new RedisSession(request);
        await foreach (var e in session.OpenAsync(ct))
        {
            yield return e;
        }

        if (session.Failed)
        {
            yield break;
        }

        var count = request.GetInt("count");
        var interval = TimeSpan.FromMilliseconds(request.GetInt("interval_ms"));
        var times = new List<double>(count);
        RedisCall? failure = null;
        for (var i = 0; i < count; i++)
        {
            if (i > 0 && interval > TimeSpan.Zero)
            {
                await Task.Delay(interval, ct);
            }

            var call = await session.CallAsync(ct, "PING");
            if (!call.Ok)
            {
                failure = call;
                break;
            }

            var ms = call.Elapsed.TotalMilliseconds;
            times.Add(ms);
            yield return new Metric("ping_ms", ms, "ms");
            yield return new OutputLine($"{call.Value} {ms.ToString("0.00", CultureInfo.InvariantCulture)} ms");
        }

        if (times.Count > 0)
        {
            var (min, avg, p99) = Summarize(times);
            yield return new Metric("ping_min_ms", min, "ms");
            yield return new Metric("ping_avg_ms", avg, "ms");
            yield return new Metric("ping_p99_ms", p99, "ms");
            yield return new Finding("redis.ping.count", ProbeText.Number(times.Count));
            yield return new Finding("redis.ping.min_ms", ProbeText.Number(min));
            yield return new Finding("redis.ping.avg_ms", ProbeText.Number(avg));
            yield return new Finding("redis.ping.p99_ms", ProbeText.Number(p99));
            yield return new OutputLine($"{times.Count} of {count} PINGs answered: min {Ms(min)} / avg {Ms(avg)} / p99 {Ms(p99)}");
        }

        if (failure is not null)
        {
            if (failure.Error == "loading")
            {
                // INFO is allowed while loading: say how far it has got.
                var (info, _) = await session.InfoAsync("persistence", ct);
                if (info is not null)
                {
                    yield return new Finding("redis.loading.pct", info["loading_loaded_perc"] ?? "unknown");
                    yield return new OutputLine(
                        $"Loading the dataset: {info["loading_loaded_perc"] ?? "?"}% of {RedisInfo.Bytes(info.Long("loading_total_bytes") ?? 0)} done, about {info["loading_eta_seconds"] ?? "?"} s to go.",
                        OutputStream.Info);
                }
            }

            foreach (var e in session.Fail(failure, $"PING #{times.Count + 1}"))
            {
                yield return e;
            }

            yield break;
        }

        var avgMs = times.Average();
        var warn = request.GetInt("warn_ms");
        yield return avgMs > warn
            ? new Verdict(VerdictStatus.Warn, $"Redis answers, but slowly: average round trip {Ms(avgMs)} is above {warn} ms.")
            : new Verdict(VerdictStatus.Pass, $"Redis answers PING: {count} of {count}, average {Ms(avgMs)}.");
    }

    /// <summary>Min, average and 99th percentile (nearest rank) of round-trip times.</summary>
    internal static (double Min, double Avg, double P99) Summarize(IReadOnlyList<double> times)
    {
        var sorted = times.Order().ToArray();
        var rank = (int)Math.Ceiling(0.99 * sorted.Length);
        return (sorted[0], sorted.Average(), sorted[Math.Clamp(rank, 1, sorted.Length) - 1]);
    }

    private static string Ms(double ms) => ms.ToString("0.00", CultureInfo.InvariantCulture) + " ms";
}
