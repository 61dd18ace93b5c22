using System.Globalization;
using System.Runtime.CompilerServices;
using Portal.Probes.Contract;

namespace Portal.Probes.Probes.Host;

/// <summary>
/// What <c>free -h</c> and <c>ps aux --sort=-rss</c> tell, with a verdict: memory used
/// ((MemTotal − MemAvailable) / MemTotal), swap, the cgroup limit this machine (container) runs
/// under and how close it is, the largest processes, and OOM kills where the cgroup counts them.
/// host.memory.used_pct is the larger of the host's and the cgroup's use: Fail above 85% (the
/// guide's threshold), Warn above 75%.
/// </summary>
public sealed class HostMemoryProbe : IProbe
{
    public const double FailAbove = 85;
    public const double WarnAbove = 75;

    /// <summary>cgroup "no limit" is printed as "max" (v2) or a number near 2^63 (v1).</summary>
    private const long NoLimit = 1L << 60;

    private readonly IHostAccessProvider _hosts;

    public HostMemoryProbe()
        : this(HostAccessProvider.Default)
    {
    }

    public HostMemoryProbe(IHostAccessProvider hosts) => _hosts = hosts;

    internal HostMemoryProbe(HostAccess host)
        : this(HostAccessProvider.Fixed(host))
    {
    }

    public ProbeDescriptor Descriptor { get; } = new(
        Kind: "host.memory",
        Title: "Host memory",
        TitleZh: "主机内存",
        Description: "Reports memory and swap use, the cgroup memory limit, the largest processes by resident memory and OOM kills.",
        TargetKinds: [TargetKind.Host, TargetKind.Http, TargetKind.Postgres, TargetKind.Redis, TargetKind.Prometheus],
        Parameters:
        [
            new ProbeParameter("top", ParameterType.Integer, "How many of the largest processes to list.", Default: "10", Min: 1, Max: 50),
        ],
        DefaultTimeout: TimeSpan.FromSeconds(15),
        MaxTimeout: TimeSpan.FromSeconds(60));

    public async IAsyncEnumerable<ProbeEvent> RunAsync(ProbeRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        using var lease = await _hosts.AcquireAsync(request.Target, mustBeHere: true, ct);
        if (lease.Access is not { } host)
        {
            foreach (var refusal in lease.RefusalEvents("Cannot read memory"))
            {
                yield return refusal;
            }

            yield break;
        }

        var meminfo = host.Files.ReadText("/proc/meminfo");
        if (meminfo is null)
        {
            yield return new Verdict(VerdictStatus.Error, "/proc/meminfo cannot be read here.");
            yield break;
        }

        var m = ProcTable.ParseStatus(meminfo).ToDictionary(kv => kv.Key, kv => ProcTable.Kilobytes(kv.Value) * 1024, StringComparer.Ordinal);
        var total = m.GetValueOrDefault("MemTotal");
        var available = m.TryGetValue("MemAvailable", out var a) ? a : m.GetValueOrDefault("MemFree") + m.GetValueOrDefault("Cached") + m.GetValueOrDefault("Buffers");
        if (total <= 0)
        {
            yield return new Verdict(VerdictStatus.Error, "/proc/meminfo has no MemTotal.");
            yield break;
        }

        var used = total - available;
        var hostPct = Math.Round(100.0 * used / total, 1);
        var swapTotal = m.GetValueOrDefault("SwapTotal");
        var swapUsed = swapTotal - m.GetValueOrDefault("SwapFree");
        yield return new OutputLine($"Mem:  total {Gb(total)}, used {Gb(used)} ({ProbeText.Number(hostPct)}%), available {Gb(available)}");
        yield return new OutputLine(swapTotal > 0
            ? $"Swap: total {Gb(swapTotal)}, used {Gb(swapUsed)} ({ProbeText.Number(Math.Round(100.0 * swapUsed / swapTotal, 1))}%)"
            : "Swap: none configured");
        yield return new Finding("host.memory.host_used_pct", ProbeText.Number(hostPct));
        yield return new Finding("host.memory.total_bytes", ProbeText.Number(total));
        yield return new Finding("host.memory.available_bytes", ProbeText.Number(available));
        yield return new Finding("host.memory.swap_total_bytes", ProbeText.Number(swapTotal));
        yield return new Finding("host.memory.swap_used_bytes", ProbeText.Number(swapUsed));
        yield return new Metric("memory_used", used, "bytes");
        yield return new Metric("memory_used_pct", hostPct, "%");

        var effective = hostPct;
        var cgroup = ReadCgroup(host);
        if (cgroup is { Limit: < NoLimit and > 0 } limited)
        {
            var cgPct = Math.Round(100.0 * limited.WorkingSet / limited.Limit, 1);
            effective = Math.Max(effective, cgPct);
            yield return new OutputLine($"cgroup {limited.Version} {limited.Path}: limit {Gb(limited.Limit)}, working set {Gb(limited.WorkingSet)} ({ProbeText.Number(cgPct)}%)");
            yield return new Finding("host.memory.cgroup_limit_bytes", ProbeText.Number(limited.Limit));
            yield return new Finding("host.memory.cgroup_used_pct", ProbeText.Number(cgPct));
        }
        else if (cgroup is not null)
        {
            yield return new OutputLine($"cgroup {cgroup.Version} {cgroup.Path}: no memory limit");
        }

        if (cgroup?.OomKills is { } oom)
        {
            yield return new Finding("host.memory.oom_kills", ProbeText.Number(oom));
            yield return new OutputLine($"OOM kills in this cgroup: {oom}", oom > 0 ? OutputStream.Stderr : OutputStream.Stdout);
        }

        var top = await Task.Run(() => TopByRss(host, request.GetInt("top")), CancellationToken.None);

        if (ct.IsCancellationRequested)

        {

            yield break;

        }

        yield return new OutputLine($"{"PID",7} {"RSS",10} {"%MEM",5} {"USER",-10} COMMAND");
        foreach (var p in top)
        {
            yield return new OutputLine($"{p.Pid,7} {Mb(p.RssBytes),10} {ProbeText.Number(Math.Round(100.0 * p.RssBytes / total, 1)),5} {p.User,-10} {Short(p)}");
        }

        if (top.Count > 0)
        {
            yield return new Finding("host.memory.top_pid", ProbeText.Number(top[0].Pid));
            yield return new Finding("host.memory.top_process", top[0].Name);
            yield return new Finding("host.memory.top_rss_bytes", ProbeText.Number(top[0].RssBytes));
        }

        yield return new Finding("host.memory.used_pct", ProbeText.Number(effective));
        var where = cgroup is { Limit: < NoLimit and > 0 } && effective > hostPct ? "of the cgroup limit" : "of the host's memory";
        yield return effective > FailAbove
            ? new Verdict(VerdictStatus.Fail, $"Memory use is {ProbeText.Number(effective)}% {where}, above {FailAbove}%: find the processes holding it (largest: {Describe(top)}).")
            : effective > WarnAbove
                ? new Verdict(VerdictStatus.Warn, $"Memory use is {ProbeText.Number(effective)}% {where}, above {WarnAbove}%; largest: {Describe(top)}.")
                : new Verdict(VerdictStatus.Pass, $"Memory use is {ProbeText.Number(effective)}% {where}{(cgroup?.OomKills is > 0 ? $", but {cgroup.OomKills} OOM kills were counted" : string.Empty)}.");
    }

    private static List<ProcessEntry> TopByRss(HostAccess host, int count)
    {
        var proc = new ProcTable(host.Files);
        var pids = proc.Pids().ToList();
        proc.PrefetchProcesses(pids);
        return [.. pids.Select(proc.Process).OfType<ProcessEntry>().Where(p => p.RssBytes > 0).OrderByDescending(p => p.RssBytes).Take(count)];
    }

    private static CgroupMemory? ReadCgroup(HostAccess host)
    {
        var lines = (host.Files.ReadText("/proc/self/cgroup") ?? string.Empty).Split('\n');
        var v1 = lines.Select(l => l.Split(':')).FirstOrDefault(f => f.Length == 3 && f[1].Split(',').Contains("memory"));
        if (v1 is not null)
        {
            var dir = FirstExisting(host, "/sys/fs/cgroup/memory" + v1[2].TrimEnd('/'), "/sys/fs/cgroup/memory");
            if (dir is null)
            {
                return null;
            }

            var stat = Stat(host, dir + "/memory.stat");
            var usage = Number(host, dir + "/memory.usage_in_bytes") ?? 0;
            return new CgroupMemory(
                "v1",
                dir,
                Number(host, dir + "/memory.limit_in_bytes") ?? long.MaxValue,
                Math.Max(0, usage - stat.GetValueOrDefault("total_inactive_file")),
                Stat(host, dir + "/memory.oom_control").TryGetValue("oom_kill", out var kills) ? kills : null);
        }

        var v2 = lines.FirstOrDefault(l => l.StartsWith("0::", StringComparison.Ordinal));
        if (v2 is null)
        {
            return null;
        }

        var path = FirstExisting(host, "/sys/fs/cgroup" + v2[3..].TrimEnd('/'), "/sys/fs/cgroup");
        if (path is null || !host.Files.FileExists(path + "/memory.current"))
        {
            return null;
        }

        var current = Number(host, path + "/memory.current") ?? 0;
        var inactive = Stat(host, path + "/memory.stat").GetValueOrDefault("inactive_file");
        return new CgroupMemory(
            "v2",
            path,
            Number(host, path + "/memory.max") ?? long.MaxValue,
            Math.Max(0, current - inactive),
            Stat(host, path + "/memory.events").TryGetValue("oom_kill", out var oom) ? oom : null);
    }

    private static string? FirstExisting(HostAccess host, params string[] dirs) => dirs.FirstOrDefault(host.Files.DirectoryExists);

    private static long? Number(HostAccess host, string file) =>
        host.Files.ReadText(file)?.Trim() is { } text && long.TryParse(text, CultureInfo.InvariantCulture, out var n) ? n : null;

    private static Dictionary<string, long> Stat(HostAccess host, string file)
    {
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in (host.Files.ReadText(file) ?? string.Empty).Split('\n'))
        {
            var f = line.Split(' ');
            if (f.Length == 2 && long.TryParse(f[1], CultureInfo.InvariantCulture, out var v))
            {
                values[f[0]] = v;
            }
        }

        return values;
    }

    private static string Describe(List<ProcessEntry> top) =>
        top.Count == 0 ? "none visible" : string.Join(", ", top.Take(3).Select(p => $"{p.Name} (pid {p.Pid}) {Mb(p.RssBytes)}"));

    private static string Short(ProcessEntry p) => p.CommandLine.Length == 0 ? $"[{p.Name}]" : p.CommandLine.Length <= 80 ? p.CommandLine : p.CommandLine[..80] + "…";

    internal static string Gb(long bytes) => ProbeText.Number(Math.Round(bytes / (double)(1L << 30), 2)) + " GiB";

    internal static string Mb(long bytes) => ProbeText.Number(Math.Round(bytes / (double)(1L << 20), 1)) + " MiB";

    private sealed record CgroupMemory(string Version, string Path, long Limit, long WorkingSet, long? OomKills);
}
