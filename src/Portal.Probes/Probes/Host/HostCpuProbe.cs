using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Portal.Probes.Contract;

namespace Portal.Probes.Probes.Host;

/// <summary>
/// What <c>uptime</c>, <c>mpstat -P ALL</c> and <c>top</c> tell: load averages, CPU use per core
/// sampled from /proc/stat deltas over an interval (repeated <c>samples</c> times), and the processes
/// that used the most CPU meanwhile (/proc/[pid]/stat utime+stime deltas). host.cpu.used_pct is the
/// average over the whole sampled time (sustained, not a spike): Fail above 80%, Warn above 60%.
/// </summary>
public sealed class HostCpuProbe : IProbe
{
    public const double FailAbove = 80;
    public const double WarnAbove = 60;

    private readonly IHostAccessProvider _hosts;

    public HostCpuProbe()
        : this(HostAccessProvider.Default)
    {
    }

    public HostCpuProbe(IHostAccessProvider hosts) => _hosts = hosts;

    internal HostCpuProbe(HostAccess host)
        : this(HostAccessProvider.Fixed(host))
    {
    }

    public ProbeDescriptor Descriptor { get; } = new(
        Kind: "host.cpu",
        Title: "Host CPU",
        TitleZh: "主机 CPU",
        Description: "Samples CPU use per core over an interval, with load averages and the processes using the most CPU meanwhile.",
        TargetKinds: [TargetKind.Host, TargetKind.Http, TargetKind.Postgres, TargetKind.Redis, TargetKind.Prometheus],
        Parameters:
        [
            new ProbeParameter("interval", ParameterType.Integer, "Seconds per sample.", Default: "2", Min: 1, Max: 30),
            new ProbeParameter("samples", ParameterType.Integer, "How many samples in a row; the verdict uses their average.", Default: "1", Min: 1, Max: 10),
            new ProbeParameter("top", ParameterType.Integer, "How many of the busiest processes to list.", Default: "5", Min: 1, Max: 50),
        ],
        DefaultTimeout: TimeSpan.FromSeconds(30),
        MaxTimeout: TimeSpan.FromMinutes(6));

    public async IAsyncEnumerable<ProbeEvent> RunAsync(ProbeRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        using var lease = await _hosts.AcquireAsync(request.Target, mustBeHere: true, ct);
        if (lease.Access is not { } host)
        {
            foreach (var refusal in lease.RefusalEvents("Cannot read CPU use"))
            {
                yield return refusal;
            }

            yield break;
        }

        var load = (host.Files.ReadText("/proc/loadavg") ?? string.Empty).Split(' ');
        var first = ReadStat(host);
        if (first.Count == 0 || load.Length < 3)
        {
            yield return new Verdict(VerdictStatus.Error, "/proc/stat or /proc/loadavg cannot be read here.");
            yield break;
        }

        var cores = first.Count - 1;
        yield return new OutputLine($"load average: {load[0]}, {load[1]}, {load[2]} ({cores} cores)");
        yield return new Finding("host.cpu.load1", load[0]);
        yield return new Finding("host.cpu.load5", load[1]);
        yield return new Finding("host.cpu.load15", load[2]);
        yield return new Finding("host.cpu.cores", ProbeText.Number(cores));

        var interval = TimeSpan.FromSeconds(request.GetInt("interval"));
        var samples = request.GetInt("samples");
        var proc = new ProcTable(host.Files);
        var processesBefore = await Task.Run(() => ProcessTicks(proc), CancellationToken.None);
        if (ct.IsCancellationRequested)
        {
            yield break;
        }

        var watch = Stopwatch.StartNew();
        var previous = first;
        var averages = new List<double>();
        for (var i = 1; i <= samples; i++)
        {
            if (!await DelayAsync(interval, ct))
            {
                yield break; // stopped: the runner records it
            }

            var current = ReadStat(host);
            var perCore = current.Keys.Where(k => k != "cpu").Select(k => (Core: k, Pct: Busy(previous.GetValueOrDefault(k), current[k]))).ToList();
            var all = Busy(previous["cpu"], current["cpu"]);
            averages.Add(all);
            yield return new OutputLine($"sample {i}/{samples} ({interval.TotalSeconds:0} s): {ProbeText.Number(all)}% busy; " + string.Join("  ", perCore.Select(c => $"{c.Core} {ProbeText.Number(c.Pct)}%")));
            yield return new Metric("cpu_used_pct", all, "%");
            previous = current;
        }

        var elapsed = watch.Elapsed;
        var processesAfter = await Task.Run(() => ProcessTicks(proc), CancellationToken.None);
        if (ct.IsCancellationRequested)
        {
            yield break;
        }

        var busiest = processesAfter
            .Where(p => processesBefore.ContainsKey(p.Key))
            .Select(p => (Pid: p.Key, Pct: 100.0 * (p.Value - processesBefore[p.Key]) / ProcTable.TicksPerSecond / elapsed.TotalSeconds))
            .Where(p => p.Pct > 0)
            .OrderByDescending(p => p.Pct)
            .Take(request.GetInt("top"))
            .Select(p => (p.Pid, p.Pct, Process: proc.Process(p.Pid)))
            .Where(p => p.Process is not null)
            .ToList();

        yield return new OutputLine($"{"PID",7} {"%CPU",6} {"USER",-10} COMMAND (over {ProbeText.Number(Math.Round(elapsed.TotalSeconds, 1))} s; 100% = one core)");
        foreach (var (pid, pct, p) in busiest)
        {
            var command = p!.CommandLine.Length == 0 ? $"[{p.Name}]" : p.CommandLine.Length <= 80 ? p.CommandLine : p.CommandLine[..80] + "…";
            yield return new OutputLine($"{pid,7} {ProbeText.Number(Math.Round(pct, 1)),6} {p.User,-10} {command}");
        }

        if (busiest.Count > 0)
        {
            yield return new Finding("host.cpu.top_pid", ProbeText.Number(busiest[0].Pid));
            yield return new Finding("host.cpu.top_process", busiest[0].Process!.Name);
            yield return new Finding("host.cpu.top_pct", ProbeText.Number(Math.Round(busiest[0].Pct, 1)));
        }

        var average = Math.Round(averages.Average(), 1);
        yield return new Finding("host.cpu.sampled_seconds", ProbeText.Number(Math.Round(elapsed.TotalSeconds, 2)));
        yield return new Finding("host.cpu.peak_sample_pct", ProbeText.Number(averages.Max()));
        yield return new Finding("host.cpu.used_pct", ProbeText.Number(average));
        var top = busiest.Count > 0 ? $"; busiest: {busiest[0].Process!.Name} (pid {busiest[0].Pid}) {ProbeText.Number(Math.Round(busiest[0].Pct, 1))}% of a core" : string.Empty;
        yield return average > FailAbove
            ? new Verdict(VerdictStatus.Fail, $"CPU is {ProbeText.Number(average)}% busy over {ProbeText.Number(Math.Round(elapsed.TotalSeconds, 1))} s, above {FailAbove}%{top}.")
            : average > WarnAbove
                ? new Verdict(VerdictStatus.Warn, $"CPU is {ProbeText.Number(average)}% busy over {ProbeText.Number(Math.Round(elapsed.TotalSeconds, 1))} s, above {WarnAbove}%{top}.")
                : new Verdict(VerdictStatus.Pass, $"CPU is {ProbeText.Number(average)}% busy over {ProbeText.Number(Math.Round(elapsed.TotalSeconds, 1))} s{top}.");
    }

    /// <summary>"cpu" and "cpuN" lines of /proc/stat: (busy, total) jiffies.</summary>
    private static Dictionary<string, (ulong Busy, ulong Total)> ReadStat(HostAccess host)
    {
        var result = new Dictionary<string, (ulong, ulong)>(StringComparer.Ordinal);
        foreach (var line in (host.Files.ReadText("/proc/stat") ?? string.Empty).Split('\n'))
        {
            if (!line.StartsWith("cpu", StringComparison.Ordinal))
            {
                continue;
            }

            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // user nice system idle iowait irq softirq steal (guest time is already in user).
            var v = f.Skip(1).Take(8).Select(x => ulong.TryParse(x, CultureInfo.InvariantCulture, out var n) ? n : 0).ToArray();
            if (v.Length < 4)
            {
                continue;
            }

            var total = v.Aggregate(0UL, (s, x) => s + x);
            var idle = v[3] + (v.Length > 4 ? v[4] : 0);
            result[f[0]] = (total - idle, total);
        }

        return result;
    }

    internal static double Busy((ulong Busy, ulong Total) before, (ulong Busy, ulong Total) after)
    {
        var total = after.Total - before.Total;
        return total == 0 || after.Total < before.Total ? 0 : Math.Round(100.0 * (after.Busy - before.Busy) / total, 1);
    }

    private static Dictionary<int, ulong> ProcessTicks(ProcTable proc)
    {
        var pids = proc.Pids().ToList();
        proc.Prefetch(pids.Select(pid => $"/proc/{pid}/stat"));
        return pids.Select(pid => (pid, ticks: proc.CpuTicks(pid))).Where(x => x.ticks is not null).ToDictionary(x => x.pid, x => x.ticks!.Value);
    }

    private static async Task<bool> DelayAsync(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, ct);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
