using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Portal.Probes.Contract;

namespace Portal.Probes.Probes.Host;

/// <summary>
/// <c>ps</c> for one process (by pid or name) or the top N by CPU or memory: RSS, threads, open
/// files, state, start time, user, CPU over a short interval and the ports it listens on (the same
/// socket table as port.owner). The verdict looks at the target's own service processes (matched
/// by systemd unit, name or command line): Fail at ≥ 80% of a core or ≥ 60% of memory, Warn at
/// ≥ 60% of a core or ≥ 40% of memory; a named pid or process that does not exist fails.
/// </summary>
public sealed class ProcessInspectProbe : IProbe
{
    public const double CpuFail = 80;
    public const double CpuWarn = 60;
    public const double MemFail = 60;
    public const double MemWarn = 40;

    private readonly IHostAccessProvider _hosts;

    public ProcessInspectProbe()
        : this(HostAccessProvider.Default)
    {
    }

    public ProcessInspectProbe(IHostAccessProvider hosts) => _hosts = hosts;

    internal ProcessInspectProbe(HostAccess host)
        : this(HostAccessProvider.Fixed(host))
    {
    }

    public ProbeDescriptor Descriptor { get; } = new(
        Kind: "process.inspect",
        Title: "Process inspection",
        TitleZh: "进程检查",
        Description: "Shows a process by pid or name, or the top processes by CPU or memory: RSS, threads, open files, state, start time, user and listening ports.",
        TargetKinds: [TargetKind.Host, TargetKind.Http, TargetKind.Postgres, TargetKind.Redis, TargetKind.Prometheus],
        Parameters:
        [
            new ProbeParameter("pid", ParameterType.Integer, "A process id to inspect.", Min: 1, Max: 4194304),
            new ProbeParameter("name", ParameterType.String, "Processes whose name (or a command-line word) is this.", Pattern: PortOwnerProbe.ServicePattern, MaxLength: 64),
            new ProbeParameter("sort", ParameterType.Choice, "Order of the list.", Default: "memory", Choices: ["cpu", "memory"]),
            new ProbeParameter("top", ParameterType.Integer, "How many processes to show.", Default: "10", Min: 1, Max: 50),
            new ProbeParameter("interval", ParameterType.Integer, "Seconds over which CPU use is measured.", Default: "1", Min: 1, Max: 10),
            new ProbeParameter("service", ParameterType.String, "The service whose processes the verdict judges; defaults to the target's units.", Pattern: PortOwnerProbe.ServicePattern, MaxLength: 64),
        ],
        DefaultTimeout: TimeSpan.FromSeconds(20),
        MaxTimeout: TimeSpan.FromSeconds(60));

    public async IAsyncEnumerable<ProbeEvent> RunAsync(ProbeRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        using var lease = await _hosts.AcquireAsync(request.Target, mustBeHere: true, ct);
        if (lease.Access is not { } host)
        {
            foreach (var refusal in lease.RefusalEvents("Cannot inspect processes"))
            {
                yield return refusal;
            }

            yield break;
        }

        var proc = new ProcTable(host.Files);
        var pid = request.GetOptional("pid") is { } p ? int.Parse(p, CultureInfo.InvariantCulture) : (int?)null;
        var name = request.GetOptional("name");
        var services = request.GetOptional("service") is { } s ? [s] : HostAccess.UnitNames(request.Target);
        var interval = TimeSpan.FromSeconds(request.GetInt("interval"));
        var memTotal = ProcTable.Kilobytes(ProcTable.ParseStatus(host.Files.ReadText("/proc/meminfo") ?? string.Empty).GetValueOrDefault("MemTotal") ?? "0") * 1024;

        yield return new OutputLine($"Measuring CPU over {interval.TotalSeconds:0} s…", OutputStream.Info);
        var before = await Task.Run(() => Ticks(proc), CancellationToken.None);
        var watch = Stopwatch.StartNew();
        try
        {
            await Task.Delay(interval, ct);
        }
        catch (OperationCanceledException)
        {
        }

        if (ct.IsCancellationRequested)
        {
            yield break;
        }

        var rows = await Task.Run(() => Collect(proc, before, watch.Elapsed, memTotal), CancellationToken.None);
        var selected = pid is { } wantedPid ? rows.Where(r => r.Process.Pid == wantedPid).ToList()
            : name is not null ? rows.Where(r => r.Process.Name == name || r.Process.CommandLine.Split(' ', '/').Contains(name, StringComparer.Ordinal)).ToList()
            : rows;
        var ordered = (request.Get("sort") == "cpu" ? selected.OrderByDescending(r => r.CpuPct) : selected.OrderByDescending(r => r.Process.RssBytes))
            .Take(request.GetInt("top")).ToList();

        if ((pid is not null || name is not null) && ordered.Count == 0)
        {
            yield return new Finding("process.found", "false");
            yield return new Verdict(VerdictStatus.Fail, pid is not null ? $"No process with pid {pid} exists." : $"No process named {name} is running.");
            yield break;
        }

        var listening = ListeningPorts(proc, [.. ordered.Select(r => r.Process.Pid)]);
        yield return new OutputLine($"{"PID",7} {"USER",-10} S {"%CPU",6} {"%MEM",5} {"RSS",10} {"THR",4} {"FDS",5} {"STARTED",-20} PORTS / COMMAND");
        foreach (var r in ordered)
        {
            var x = r.Process;
            var ports = listening.TryGetValue(x.Pid, out var list) ? string.Join(",", list) : "-";
            var command = x.CommandLine.Length == 0 ? $"[{x.Name}]" : x.CommandLine.Length <= 100 ? x.CommandLine : x.CommandLine[..100] + "…";
            yield return new OutputLine($"{x.Pid,7} {x.User,-10} {x.State} {ProbeText.Number(r.CpuPct),6} {ProbeText.Number(r.MemPct),5} {HostMemoryProbe.Mb(x.RssBytes),10} {x.Threads,4} {r.OpenFiles,5} {r.Started?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "?",-20} {ports} {command}");
        }

        if (pid is not null || name is not null)
        {
            var first = ordered[0];
            yield return new Finding("process.found", "true");
            yield return new Finding("process.count", ProbeText.Number(ordered.Count));
            yield return new Finding("process.pid", ProbeText.Number(first.Process.Pid));
            yield return new Finding("process.name", first.Process.Name);
            yield return new Finding("process.state", first.Process.State.ToString());
            yield return new Finding("process.user", first.Process.User);
            yield return new Finding("process.rss_bytes", ProbeText.Number(first.Process.RssBytes));
            yield return new Finding("process.threads", ProbeText.Number(first.Process.Threads));
            yield return new Finding("process.open_files", ProbeText.Number(first.OpenFiles));
            yield return new Finding("process.cpu_pct", ProbeText.Number(first.CpuPct));
            yield return new Finding("process.mem_pct", ProbeText.Number(first.MemPct));
            if (first.Started is { } started)
            {
                yield return new Finding("process.started", started.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            }

            yield return new Finding("process.listening_ports", listening.TryGetValue(first.Process.Pid, out var fp) ? string.Join(",", fp) : string.Empty);
        }

        // Judge the inspected processes, or else the target's own service among all of them.
        var judged = pid is not null || name is not null ? ordered : rows.Where(r => proc.BelongsTo(r.Process, services)).ToList();
        if (pid is null && name is null)
        {
            yield return new Finding("process.target_found", ProbeText.Bool(judged.Count > 0));
        }

        if (judged.Count == 0)
        {
            yield return new Verdict(VerdictStatus.Pass, services.Count == 0
                ? $"Listed the top {ordered.Count} processes by {request.Get("sort")}; no service named to judge."
                : $"Listed the top {ordered.Count} processes by {request.Get("sort")}; no process of {string.Join("/", services)} is running.");
            yield break;
        }

        var worst = judged.OrderByDescending(r => Math.Max(r.CpuPct / CpuFail, r.MemPct / MemFail)).First();
        yield return new Finding("process.max_cpu_pct", ProbeText.Number(judged.Max(r => r.CpuPct)));
        yield return new Finding("process.max_mem_pct", ProbeText.Number(judged.Max(r => r.MemPct)));
        var what = $"{worst.Process.Name} (pid {worst.Process.Pid}) uses {ProbeText.Number(worst.CpuPct)}% of a core and {ProbeText.Number(worst.MemPct)}% of memory ({HostMemoryProbe.Mb(worst.Process.RssBytes)})";
        yield return worst.CpuPct >= CpuFail || worst.MemPct >= MemFail
            ? new Verdict(VerdictStatus.Fail, $"{what}: too much.")
            : worst.CpuPct >= CpuWarn || worst.MemPct >= MemWarn
                ? new Verdict(VerdictStatus.Warn, $"{what}: high.")
                : new Verdict(VerdictStatus.Pass, $"{what}.");
    }

    private static Dictionary<int, ulong> Ticks(ProcTable proc)
    {
        var pids = proc.Pids().ToList();
        proc.Prefetch(pids.Select(pid => $"/proc/{pid}/stat"));
        return pids.Select(pid => (pid, ticks: proc.CpuTicks(pid))).Where(x => x.ticks is not null).ToDictionary(x => x.pid, x => x.ticks!.Value);
    }

    private static List<Row> Collect(ProcTable proc, Dictionary<int, ulong> before, TimeSpan elapsed, long memTotal)
    {
        var rows = new List<Row>();
        var pids = proc.Pids().ToList();
        proc.PrefetchProcesses(pids);
        proc.PrefetchFds(pids);
        foreach (var pid in pids)
        {
            if (proc.Process(pid) is not { } p)
            {
                continue;
            }

            var cpu = before.TryGetValue(pid, out var b) && p.CpuTicks >= b
                ? Math.Round(100.0 * (p.CpuTicks - b) / ProcTable.TicksPerSecond / elapsed.TotalSeconds, 1)
                : 0;
            var mem = memTotal > 0 ? Math.Round(100.0 * p.RssBytes / memTotal, 1) : 0;
            rows.Add(new Row(p, cpu, mem, proc.OpenFiles(pid), proc.StartTime(p)));
        }

        return rows;
    }

    private static Dictionary<int, List<string>> ListeningPorts(ProcTable proc, HashSet<int> pids)
    {
        var sockets = proc.Sockets(ProcTable.SocketTables).Where(x => x.IsListening).DistinctBy(x => x.Inode).ToDictionary(x => x.Inode, x => x);
        var result = new Dictionary<int, List<string>>();
        foreach (var pid in pids)
        {
            var ports = proc.SocketInodes(pid).Where(sockets.ContainsKey).Select(i => $"{sockets[i].Protocol}/{sockets[i].Port}").Distinct().ToList();
            if (ports.Count > 0)
            {
                result[pid] = ports;
            }
        }

        return result;
    }

    private sealed record Row(ProcessEntry Process, double CpuPct, double MemPct, int OpenFiles, DateTimeOffset? Started);
}
