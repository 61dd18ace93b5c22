using System.Runtime.CompilerServices;
using Portal.Probes.Contract;

namespace Portal.Probes.Probes.Redis;

/// <summary>
/// <c>redis-cli info memory</c>, read for a person: used, RSS, peak, maxmemory and policy,
/// fragmentation and evicted keys; used as a share of maxmemory, warn at 80 %, fail at 95 %.
/// </summary>
public sealed class RedisMemoryProbe : IProbe
{
    public ProbeDescriptor Descriptor { get; } = new(
        Kind: "redis.memory",
        Title: "Redis memory",
        TitleZh: "Redis 内存使用",
        Description: "Reads INFO memory and stats: used, RSS and peak memory, maxmemory and its policy, fragmentation and evicted keys.",
        TargetKinds: [TargetKind.Redis],
        Parameters:
        [
            new ProbeParameter("warn_pct", ParameterType.Integer, "Warn when used memory reaches this share of maxmemory, in %.", Default: "80", Min: 1, Max: 100),
            new ProbeParameter("fail_pct", ParameterType.Integer, "Fail when used memory reaches this share of maxmemory, in %.", Default: "95", Min: 1, Max: 100),
            RedisSession.TimeoutParameter,
        ],
        DefaultTimeout: TimeSpan.FromSeconds(15),
        MaxTimeout: TimeSpan.FromSeconds(60));

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

        var (info, failure) = await session.InfoSectionsAsync(ct, "memory", "stats");
        if (info is null)
        {
            foreach (var e in failure)
            {
                yield return e;
            }

            yield break;
        }

        var (memory, stats) = (info[0], info[1]);

        if (memory.Long("used_memory") is not { } used)
        {
            yield return new Verdict(VerdictStatus.Error, "INFO memory has no used_memory field; cannot judge memory use.");
            yield break;
        }

        var rss = memory.Long("used_memory_rss");
        var peak = memory.Long("used_memory_peak");
        var max = memory.Long("maxmemory") ?? 0;
        var policy = memory["maxmemory_policy"] ?? "unknown";
        var fragmentation = memory.Double("mem_fragmentation_ratio");
        var evicted = stats.Long("evicted_keys");

        yield return new OutputLine($"used        {RedisInfo.Bytes(used)} ({ProbeText.Number(used)} bytes)");
        yield return new Finding("redis.memory.used_bytes", ProbeText.Number(used));
        yield return new Metric("used_memory", used, "bytes");
        if (rss is { } r)
        {
            yield return new OutputLine($"rss         {RedisInfo.Bytes(r)}");
            yield return new Finding("redis.memory.rss_bytes", ProbeText.Number(r));
            yield return new Metric("used_memory_rss", r, "bytes");
        }

        if (peak is { } p)
        {
            yield return new OutputLine($"peak        {RedisInfo.Bytes(p)}");
            yield return new Finding("redis.memory.peak_bytes", ProbeText.Number(p));
        }

        yield return new OutputLine(max > 0 ? $"maxmemory   {RedisInfo.Bytes(max)}, policy {policy}" : $"maxmemory   no limit (0), policy {policy}");
        yield return new Finding("redis.memory.maxmemory", ProbeText.Number(max));
        yield return new Finding("redis.memory.policy", policy);
        if (fragmentation is { } f)
        {
            var note = f > 1.5 ? " (high: RSS well above what the data needs)" : f < 1 ? " (below 1: part of Redis may be swapped out)" : string.Empty;
            yield return new OutputLine($"fragmentation ratio {ProbeText.Number(f)}{note}");
            yield return new Finding("redis.memory.fragmentation_ratio", ProbeText.Number(f));
            yield return new Metric("mem_fragmentation_ratio", f, "ratio");
        }

        if (evicted is { } ev)
        {
            yield return new OutputLine($"evicted keys {ProbeText.Number(ev)} since start");
            yield return new Finding("redis.memory.evicted_keys", ProbeText.Number(ev));
        }

        var evictions = evicted is > 0 ? $"; {ProbeText.Number(evicted.Value)} keys evicted since start" : string.Empty;
        if (max <= 0)
        {
            yield return new Verdict(VerdictStatus.Pass, $"Redis uses {RedisInfo.Bytes(used)} with no maxmemory limit (it can grow until the host runs out){evictions}.");
            yield break;
        }

        var pct = used * 100.0 / max;
        yield return new Finding("redis.memory.used_pct", ProbeText.Number(Math.Round(pct, 1)));
        yield return new Metric("used_pct", pct, "%");
        yield return new OutputLine($"used {ProbeText.Number(Math.Round(pct, 1))}% of maxmemory");
        var summary = $"Redis uses {RedisInfo.Bytes(used)} of {RedisInfo.Bytes(max)} maxmemory ({ProbeText.Number(Math.Round(pct, 1))}%), policy {policy}{evictions}";
        yield return Judge(pct, request.GetInt("warn_pct"), request.GetInt("fail_pct")) switch
        {
            VerdictStatus.Fail => new Verdict(VerdictStatus.Fail, summary + (policy == "noeviction" ? "; writes fail with OOM once it is full." : "; keys are being evicted to make room.")),
            VerdictStatus.Warn => new Verdict(VerdictStatus.Warn, summary + "; approaching the limit."),
            var status => new Verdict(status, summary + "."),
        };
    }

    internal static VerdictStatus Judge(double pct, int warnPct, int failPct) =>
        pct >= failPct ? VerdictStatus.Fail : pct >= warnPct ? VerdictStatus.Warn : VerdictStatus.Pass;
}
