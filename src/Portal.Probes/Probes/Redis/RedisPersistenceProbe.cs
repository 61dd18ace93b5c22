using System.Globalization;
using System.Runtime.CompilerServices;
using Portal.Probes.Contract;

namespace Portal.Probes.Probes.Redis;

/// <summary>
/// Can the persistence files be trusted? INFO persistence: last RDB save (age by the server's own
/// clock, status, changes since), AOF enabled/status/last rewrite. Fails when a status is err,
/// warns when there are unsaved changes older than the threshold or the dataset is still loading.
/// </summary>
public sealed class RedisPersistenceProbe : IProbe
{
    private const string Prefix = "redis.persistence.";

    public ProbeDescriptor Descriptor { get; } = new(
        Kind: "redis.persistence",
        Title: "Redis persistence",
        TitleZh: "Redis 持久化状态",
        Description: "Reads INFO persistence: age and status of the last RDB save, changes since, and AOF state, last write and rewrite status.",
        TargetKinds: [TargetKind.Redis],
        Parameters:
        [
            new ProbeParameter(
                "max_save_age_minutes",
                ParameterType.Integer,
                "Warn when the last successful RDB save is older than this and there are unsaved changes, in minutes.",
                Default: "60",
                Min: 1,
                Max: 100_000),
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

        var (sections, failure) = await session.InfoSectionsAsync(ct, "persistence");
        if (sections is null)
        {
            foreach (var e in failure)
            {
                yield return e;
            }

            yield break;
        }

        var info = sections[0];

        // The server's clock, so a skewed portal host does not age the save wrongly.
        var time = await session.CallAsync(ct, "TIME");
        long now;
        if (time is { Ok: true, Value.Items: [{ Text: { } seconds }, ..] } && long.TryParse(seconds, CultureInfo.InvariantCulture, out var serverNow))
        {
            now = serverNow;
        }
        else
        {
            now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            yield return new OutputLine($"TIME not available ({session.Scrub(time.Detail)}); ages use the portal's clock.", OutputStream.Info);
        }

        var problems = new List<string>();
        var failures = new List<string>();

        // RDB
        var rdbStatus = info["rdb_last_bgsave_status"] ?? "unknown";
        var changes = info.Long("rdb_changes_since_last_save") ?? 0;
        var lastSave = info.Long("rdb_last_save_time");
        var saving = info["rdb_bgsave_in_progress"] == "1";
        yield return new Finding(Prefix + "rdb_last_status", rdbStatus);
        yield return new Finding(Prefix + "rdb_changes_since_last_save", ProbeText.Number(changes));
        yield return new Finding(Prefix + "rdb_bgsave_in_progress", ProbeText.Bool(saving));
        long? age = lastSave is { } t ? Math.Max(0, now - t) : null;
        if (age is { } a)
        {
            yield return new Finding(Prefix + "rdb_last_save_age_s", ProbeText.Number(a));
            yield return new Metric("rdb_last_save_age", a, "s");
        }

        var lastSaveText = lastSave is { } ls ? DateTimeOffset.FromUnixTimeSeconds(ls).ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "unknown";
        yield return new OutputLine(
            $"RDB  last save {lastSaveText} ({(age is { } ag ? Age(ag) + " ago" : "age unknown")}), last bgsave {rdbStatus}"
            + (info.Long("rdb_last_bgsave_time_sec") is { } d and >= 0 ? $" in {d} s" : string.Empty)
            + $", {ProbeText.Number(changes)} changes since" + (saving ? ", a BGSAVE is running now" : string.Empty));
        if (rdbStatus == "err")
        {
            failures.Add("the last RDB save (BGSAVE) failed — with stop-writes-on-bgsave-error Redis refuses writes (MISCONF); check the server log, disk space and the dir's permissions");
        }

        var maxAge = request.GetInt("max_save_age_minutes") * 60L;
        if (age > maxAge && changes > 0)
        {
            problems.Add($"{ProbeText.Number(changes)} changes are not saved and the last RDB save was {Age(age.Value)} ago");
        }

        // AOF
        var aofEnabled = info["aof_enabled"] == "1";
        yield return new Finding(Prefix + "aof_enabled", ProbeText.Bool(aofEnabled));
        var aofWrite = info["aof_last_write_status"] ?? "unknown";
        var aofRewrite = info["aof_last_bgrewrite_status"] ?? "unknown";
        yield return new Finding(Prefix + "aof_last_write_status", aofWrite);
        yield return new Finding(Prefix + "aof_last_bgrewrite_status", aofRewrite);
        if (aofEnabled)
        {
            var rewriting = info["aof_rewrite_in_progress"] == "1";
            yield return new OutputLine(
                $"AOF  enabled, last write {aofWrite}, last rewrite {aofRewrite}"
                + (info.Long("aof_last_rewrite_time_sec") is { } rw and >= 0 ? $" in {rw} s" : string.Empty)
                + (rewriting ? ", a rewrite is running now" : string.Empty));
        }
        else
        {
            yield return new OutputLine($"AOF  disabled (appendonly no){(aofWrite == "err" || aofRewrite == "err" ? $", but last write {aofWrite}, last rewrite {aofRewrite}" : string.Empty)}");
        }

        if (aofWrite == "err")
        {
            failures.Add("the last AOF write failed (disk full or read-only?); Redis refuses writes until it succeeds");
        }

        if (aofRewrite == "err")
        {
            failures.Add("the last AOF rewrite failed");
        }

        var loading = info["loading"] == "1";
        yield return new Finding(Prefix + "loading", ProbeText.Bool(loading));
        if (loading)
        {
            yield return new Finding(RedisSession.ErrorKey, "loading");
            yield return new OutputLine($"Loading the dataset: {info["loading_loaded_perc"] ?? "?"}% done, about {info["loading_eta_seconds"] ?? "?"} s to go.", OutputStream.Info);
            problems.Add("Redis is loading its dataset from disk; it answers LOADING until done");
        }

        if (failures.Count > 0)
        {
            yield return new Verdict(VerdictStatus.Fail, Sentence(failures.Concat(problems)));
        }
        else if (problems.Count > 0)
        {
            yield return new Verdict(VerdictStatus.Warn, Sentence(problems));
        }
        else
        {
            yield return new Verdict(
                VerdictStatus.Pass,
                $"Persistence is healthy: last RDB save {(age is { } g ? $"{Age(g)} ago " : string.Empty)}({rdbStatus}), AOF {(aofEnabled ? "on, last write " + aofWrite : "off")}.");
        }
    }

    internal static string Age(long seconds) => seconds switch
    {
        < 120 => $"{seconds} s",
        < 7200 => $"{seconds / 60} min",
        < 172_800 => $"{seconds / 3600} h {seconds % 3600 / 60} min",
        _ => $"{seconds / 86_400} days",
    };

    private static string Sentence(IEnumerable<string> parts)
    {
        var text = string.Join("; ", parts);
        return char.ToUpperInvariant(text[0]) + text[1..] + ".";
    }
}
