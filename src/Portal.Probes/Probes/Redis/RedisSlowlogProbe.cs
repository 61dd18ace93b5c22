using System.Globalization;
using System.Runtime.CompilerServices;
using Portal.Probes.Contract;

namespace Portal.Probes.Probes.Redis;

/// <summary>
/// <c>redis-cli slowlog get N</c>, readable and safe: when, how long, the command (credentials
/// masked, arguments truncated), which client. Warns when an entry took warn_ms or more, fails at
/// fail_ms.
/// </summary>
public sealed class RedisSlowlogProbe : IProbe
{
    public ProbeDescriptor Descriptor { get; } = new(
        Kind: "redis.slowlog",
        Title: "Redis slow log",
        TitleZh: "Redis 慢查询日志",
        Description: "Reads the last N slow-log entries with time, duration, command (credentials masked, arguments truncated) and client.",
        TargetKinds: [TargetKind.Redis],
        Parameters:
        [
            new ProbeParameter("count", ParameterType.Integer, "How many of the latest entries to read.", Default: "10", Min: 1, Max: 128),
            new ProbeParameter("warn_ms", ParameterType.Integer, "Warn when an entry took at least this long, in ms.", Default: "100", Min: 1, Max: 600_000),
            new ProbeParameter("fail_ms", ParameterType.Integer, "Fail when an entry took at least this long, in ms.", Default: "1000", Min: 1, Max: 600_000),
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

        // The logging threshold and total length are context; an ACL user may not be allowed to read them.
        var threshold = await session.CallAsync(ct, "CONFIG", "GET", "slowlog-log-slower-than");
        if (threshold is { Ok: true, Value.Items: [_, { Text: { } us }] })
        {
            yield return new Finding("redis.slowlog.slower_than_us", us);
            yield return new OutputLine($"Logging commands slower than {us} µs" + (us.StartsWith('-') ? " (the slow log is disabled)" : string.Empty), OutputStream.Info);
        }

        var length = await session.CallAsync(ct, "SLOWLOG", "LEN");
        if (length is { Ok: true, Value.Type: RespType.Integer })
        {
            yield return new Finding("redis.slowlog.len", ProbeText.Number(length.Value.Integer));
        }

        var call = await session.CallAsync(ct, "SLOWLOG", "GET", request.Get("count"));
        if (!call.Ok)
        {
            foreach (var e in session.Fail(call, "SLOWLOG GET"))
            {
                yield return e;
            }

            yield break;
        }

        if (call.Value is not { Type: RespType.Array, Items: { } items })
        {
            yield return new Verdict(VerdictStatus.Error, "SLOWLOG GET did not return a list.");
            yield break;
        }

        var secrets = request.Target.SecretValues.ToArray();
        var warnUs = request.GetInt("warn_ms") * 1000L;
        var failUs = request.GetInt("fail_ms") * 1000L;
        long maxUs = 0;
        int overWarn = 0, overFail = 0;
        foreach (var item in items)
        {
            if (Parse(item) is not { } entry)
            {
                yield return new OutputLine("(an entry in an unknown format was skipped)", OutputStream.Stderr);
                continue;
            }

            maxUs = Math.Max(maxUs, entry.DurationUs);
            overWarn += entry.DurationUs >= warnUs ? 1 : 0;
            overFail += entry.DurationUs >= failUs ? 1 : 0;
            yield return new OutputLine(
                $"#{entry.Id} {DateTimeOffset.FromUnixTimeSeconds(entry.Time).ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)}"
                + $"  {Duration(entry.DurationUs),10}  {SlowlogCommand.Format(entry.Args, secrets)}"
                + (entry.Client is { Length: > 0 } client ? $"  {client}" : string.Empty)
                + (entry.ClientName is { Length: > 0 } name ? $" ({Cut(name)})" : string.Empty));
        }

        var maxMs = maxUs / 1000.0;
        yield return new Finding("redis.slowlog.count", ProbeText.Number(items.Count));
        yield return new Finding("redis.slowlog.max_ms", ProbeText.Number(maxMs));
        yield return new Metric("slowlog_max_ms", maxMs, "ms");
        yield return new Metric("slowlog_count", items.Count, "count");

        if (items.Count == 0)
        {
            yield return new Verdict(VerdictStatus.Pass, "The slow log is empty.");
        }
        else if (overFail > 0)
        {
            yield return new Verdict(VerdictStatus.Fail, $"{overFail} of the last {items.Count} slow commands took {request.GetInt("fail_ms")} ms or more (slowest {Duration(maxUs)}).");
        }
        else if (overWarn > 0)
        {
            yield return new Verdict(VerdictStatus.Warn, $"{overWarn} of the last {items.Count} slow commands took {request.GetInt("warn_ms")} ms or more (slowest {Duration(maxUs)}).");
        }
        else
        {
            yield return new Verdict(VerdictStatus.Pass, $"{items.Count} slow-log entries, slowest {Duration(maxUs)}: none reaches {request.GetInt("warn_ms")} ms.");
        }
    }

    internal sealed record Entry(long Id, long Time, long DurationUs, IReadOnlyList<string> Args, string? Client, string? ClientName);

    /// <summary>[id, unix time, duration µs, [args…], client address, client name] (the last two since Redis 4).</summary>
    internal static Entry? Parse(RespValue item)
    {
        if (item is not { Type: RespType.Array, Items: [{ Type: RespType.Integer } id, { Type: RespType.Integer } time, { Type: RespType.Integer } duration, { Type: RespType.Array, Items: { } args }, ..] fields })
        {
            return null;
        }

        return new Entry(
            id.Integer,
            time.Integer,
            duration.Integer,
            [.. args.Select(a => a.Text ?? a.ToString())],
            fields.Count > 4 ? fields[4].Text : null,
            fields.Count > 5 ? fields[5].Text : null);
    }

    internal static string Duration(long us) =>
        us < 1000 ? $"{us.ToString(CultureInfo.InvariantCulture)} µs" : $"{(us / 1000.0).ToString("0.00", CultureInfo.InvariantCulture)} ms";

    private static string Cut(string text) => text.Length > SlowlogCommand.MaxArgChars ? text[..SlowlogCommand.MaxArgChars] + "…" : text;
}
