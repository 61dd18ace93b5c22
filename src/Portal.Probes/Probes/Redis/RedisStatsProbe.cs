using System.Globalization;
using System.Runtime.CompilerServices;
using Portal.Probes.Contract;

namespace Portal.Probes.Probes.Redis;

/// <summary>
/// Cache effectiveness and load from INFO stats and clients: keyspace hit ratio (as a 0..1
/// fraction, <c>redis.stats.hit_ratio</c>), connected/blocked/rejected clients, ops/s and total
/// commands. Warns below the hit-ratio threshold or when connections have been rejected.
/// </summary>
public sealed class RedisStatsProbe : IProbe
{
    public ProbeDescriptor Descriptor { get; } = new(
        Kind: "redis.stats",
        Title: "Redis stats",
        TitleZh: "Redis 命中率与负载",
        Description: "Reads INFO stats and clients: keyspace hit ratio, connected, blocked and rejected clients, ops/s and total commands.",
        TargetKinds: [TargetKind.Redis],
        Parameters:
        [
            new ProbeParameter("min_hit_ratio_pct", ParameterType.Integer, "Warn when the keyspace hit ratio is below this, in %.", Default: "80", Min: 0, Max: 100),
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

        var (info, failure) = await session.InfoSectionsAsync(ct, "stats", "clients");
        if (info is null)
        {
            foreach (var e in failure)
            {
                yield return e;
            }

            yield break;
        }

        var (stats, clients) = (info[0], info[1]);

        var hits = stats.Long("keyspace_hits") ?? 0;
        var misses = stats.Long("keyspace_misses") ?? 0;
        var rejected = stats.Long("rejected_connections") ?? 0;
        var ratio = HitRatio(hits, misses);
        yield return new Finding("redis.stats.keyspace_hits", ProbeText.Number(hits));
        yield return new Finding("redis.stats.keyspace_misses", ProbeText.Number(misses));
        if (ratio is { } r)
        {
            yield return new Finding("redis.stats.hit_ratio", Ratio(r));
            yield return new Metric("hit_ratio", r, "ratio");
            yield return new OutputLine($"keyspace    {ProbeText.Number(hits)} hits, {ProbeText.Number(misses)} misses: hit ratio {Ratio(r)} ({(r * 100).ToString("0.0", CultureInfo.InvariantCulture)}%)");
        }
        else
        {
            yield return new OutputLine("keyspace    no lookups since start (or since CONFIG RESETSTAT): no hit ratio yet");
        }

        foreach (var (key, label, source) in Counters)
        {
            if ((source == "clients" ? clients : stats).Long(key) is { } value)
            {
                yield return new Finding($"redis.stats.{label}", ProbeText.Number(value));
                yield return new Metric(key, value, label == "ops_per_sec" ? "ops/s" : "count");
                yield return new OutputLine($"{key.Replace('_', ' '),-28}{ProbeText.Number(value)}");
            }
        }

        var problems = new List<string>();
        var min = request.GetInt("min_hit_ratio_pct") / 100.0;
        if (ratio is { } low && low < min)
        {
            problems.Add($"hit ratio {Ratio(low)} is below {Ratio(min)}: too many lookups miss the cache (check evicted_keys, maxmemory and TTLs)");
        }

        if (rejected > 0)
        {
            problems.Add($"{ProbeText.Number(rejected)} connections were rejected (maxclients {clients["maxclients"] ?? "?"})");
        }

        var summary = $"{(ratio is { } h ? $"hit ratio {Ratio(h)}" : "no lookups yet")}, {clients["connected_clients"] ?? "?"} clients connected, {stats["instantaneous_ops_per_sec"] ?? "?"} ops/s";
        yield return problems.Count > 0
            ? new Verdict(VerdictStatus.Warn, $"{string.Join("; ", problems)}.")
            : new Verdict(VerdictStatus.Pass, $"Redis: {summary}.");
    }

    private static readonly (string Key, string Label, string Source)[] Counters =
    [
        ("connected_clients", "connected_clients", "clients"),
        ("blocked_clients", "blocked_clients", "clients"),
        ("rejected_connections", "rejected_connections", "stats"),
        ("instantaneous_ops_per_sec", "ops_per_sec", "stats"),
        ("total_commands_processed", "total_commands", "stats"),
        ("total_connections_received", "total_connections", "stats"),
        ("evicted_keys", "evicted_keys", "stats"),
        ("expired_keys", "expired_keys", "stats"),
    ];

    /// <summary>hits / (hits + misses) rounded to 4 places, the value the finding carries; null without lookups.</summary>
    internal static double? HitRatio(long hits, long misses) =>
        hits + misses == 0 ? null : Math.Round((double)hits / (hits + misses), 4);

    private static string Ratio(double r) => r.ToString("0.####", CultureInfo.InvariantCulture);
}
