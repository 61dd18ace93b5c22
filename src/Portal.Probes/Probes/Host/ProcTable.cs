using System.Globalization;
using System.Net;

namespace Portal.Probes.Probes.Host;

/// <summary>One socket from /proc/net/{tcp,tcp6,udp,udp6}.</summary>
public sealed record SocketEntry(string Protocol, IPAddress Address, int Port, int State, long Uid, long Inode)
{
    /// <summary>TCP: state 0A (LISTEN). UDP: any bound socket that is not connected to a peer (07, CLOSE).</summary>
    public bool IsListening => Protocol.StartsWith("tcp", StringComparison.Ordinal) ? State == 0x0A : State == 0x07;

    public string Endpoint => Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Address}]:{Port}" : $"{Address}:{Port}";
}

/// <summary>What /proc says about one process.</summary>
public sealed record ProcessEntry(
    int Pid,
    string Name,
    char State,
    long Uid,
    string User,
    int Threads,
    long RssBytes,
    string CommandLine,
    ulong CpuTicks,
    ulong StartTicks);

/// <summary>Reading /proc (and /etc/passwd, /etc/group) through <see cref="IHostFileSystem"/>; nothing shells out.</summary>
public sealed class ProcTable(IHostFileSystem fs)
{
    public const int CommandLineLimit = 300;

    private Dictionary<long, string>? _users;
    private Dictionary<string, string>? _prefetched;
    private Dictionary<string, IReadOnlyDictionary<string, string>>? _fdLinks;
    private string? _procStat;

    public static readonly string[] SocketTables = ["tcp", "tcp6", "udp", "udp6"];

    public IReadOnlyList<SocketEntry> Sockets(IEnumerable<string> tables)
    {
        var result = new List<SocketEntry>();
        foreach (var table in tables)
        {
            var text = fs.ReadText($"/proc/net/{table}");
            if (text is null)
            {
                continue;
            }

            foreach (var line in text.Split('\n').Skip(1))
            {
                if (ParseSocket(table, line) is { } entry)
                {
                    result.Add(entry);
                }
            }
        }

        return result;
    }

    internal static SocketEntry? ParseSocket(string table, string line)
    {
        var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (f.Length < 10)
        {
            return null;
        }

        var local = f[1].Split(':');
        if (local.Length != 2
            || !int.TryParse(local[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var port)
            || !int.TryParse(f[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var state)
            || !long.TryParse(f[7], NumberStyles.Integer, CultureInfo.InvariantCulture, out var uid)
            || !long.TryParse(f[9], NumberStyles.Integer, CultureInfo.InvariantCulture, out var inode)
            || ParseAddress(local[0]) is not { } address)
        {
            return null;
        }

        return new SocketEntry(table, address, port, state, uid, inode);
    }

    /// <summary>The kernel prints addresses as 32-bit words in host (little-endian) byte order.</summary>
    internal static IPAddress? ParseAddress(string hex)
    {
        if (hex.Length is not (8 or 32))
        {
            return null;
        }

        var bytes = new byte[hex.Length / 2];
        for (var word = 0; word < hex.Length / 8; word++)
        {
            if (!uint.TryParse(hex.AsSpan(word * 8, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var value))
            {
                return null;
            }

            BitConverter.TryWriteBytes(bytes.AsSpan(word * 4, 4), value);
            if (!BitConverter.IsLittleEndian)
            {
                bytes.AsSpan(word * 4, 4).Reverse();
            }
        }

        return new IPAddress(bytes);
    }

    public IEnumerable<int> Pids() =>
        fs.List("/proc").Select(n => int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0).Where(p => p > 0);

    /// <summary>Socket inode → pid, by reading every /proc/[pid]/fd link ("socket:[12345]").</summary>
    /// <param name="wanted">Only these inodes; the scan stops once all are found.</param>
    public Dictionary<long, int> SocketOwners(IReadOnlySet<long> wanted)
    {
        var owners = new Dictionary<long, int>();
        if (wanted.Count == 0)
        {
            return owners;
        }

        foreach (var pid in Pids())
        {
            if (_fdLinks is null || !_fdLinks.ContainsKey($"/proc/{pid}/fd"))
            {
                PrefetchFds(Pids().SkipWhile(p => p != pid).Take(FdBatch));
            }

            foreach (var inode in SocketInodes(pid))
            {
                if (wanted.Contains(inode))
                {
                    owners.TryAdd(inode, pid);
                }
            }

            if (owners.Count == wanted.Count)
            {
                break;
            }
        }

        return owners;
    }

    public IEnumerable<long> SocketInodes(int pid)
    {
        foreach (var link in FdLinks(pid).Values)
        {
            if (link.StartsWith("socket:[", StringComparison.Ordinal)
                && long.TryParse(link.AsSpan(8, link.Length - 9), NumberStyles.None, CultureInfo.InvariantCulture, out var inode))
            {
                yield return inode;
            }
        }
    }

    public int OpenFiles(int pid) => _fdLinks?.ContainsKey($"/proc/{pid}/fd") == true ? FdLinks(pid).Count : fs.List($"/proc/{pid}/fd").Count;

    /// <summary>How many processes' descriptor tables are read in one go (one round trip over SSH).</summary>
    private const int FdBatch = 64;

    /// <summary>
    /// Reads these files at once (one round trip over SSH instead of one per file); the next read of
    /// each is served from what was fetched, once, so later reads still see fresh values.
    /// </summary>
    public void Prefetch(IEnumerable<string> paths) => _prefetched = new Dictionary<string, string>(fs.ReadMany([.. paths]), StringComparer.Ordinal);

    /// <summary>Prefetches what <see cref="Process"/> and <see cref="BelongsTo"/> read for each pid.</summary>
    public void PrefetchProcesses(IEnumerable<int> pids) =>
        Prefetch(pids.SelectMany(pid => new[] { $"/proc/{pid}/status", $"/proc/{pid}/stat", $"/proc/{pid}/cmdline", $"/proc/{pid}/cgroup" }));

    /// <summary>Reads the descriptor links of these processes at once, for <see cref="SocketInodes"/> and <see cref="OpenFiles"/>.</summary>
    public void PrefetchFds(IEnumerable<int> pids)
    {
        var dirs = pids.Select(pid => $"/proc/{pid}/fd").ToList();
        var links = fs.ReadLinks(dirs);
        // A directory without links (or one that vanished) is still "fetched": empty.
        _fdLinks = dirs.ToDictionary(d => d, d => links.GetValueOrDefault(d) ?? new Dictionary<string, string>(), StringComparer.Ordinal);
    }

    private IReadOnlyDictionary<string, string> FdLinks(int pid)
    {
        var dir = $"/proc/{pid}/fd";
        if (_fdLinks is not null && _fdLinks.TryGetValue(dir, out var links))
        {
            return links;
        }

        return fs.ReadLinks([dir]).GetValueOrDefault(dir) ?? new Dictionary<string, string>();
    }

    private string? Read(string path) =>
        _prefetched is not null && _prefetched.Remove(path, out var text) ? text : fs.ReadText(path);

    /// <returns>The process, or null when it has gone (or /proc does not show it).</returns>
    public ProcessEntry? Process(int pid)
    {
        var status = Read($"/proc/{pid}/status");
        var stat = Read($"/proc/{pid}/stat");
        if (status is null || stat is null)
        {
            return null;
        }

        var fields = ParseStatus(status);
        var uid = fields.TryGetValue("Uid", out var uidText) && long.TryParse(uidText.Split('\t', ' ')[0], CultureInfo.InvariantCulture, out var u) ? u : -1;
        var rssKb = fields.TryGetValue("VmRSS", out var rssText) ? Kilobytes(rssText) : 0;
        var threads = fields.TryGetValue("Threads", out var threadText) && int.TryParse(threadText, CultureInfo.InvariantCulture, out var t) ? t : 0;
        var (name, state, cpu, start) = ParseStat(stat);
        return new ProcessEntry(pid, fields.GetValueOrDefault("Name") ?? name, state, uid, UserName(uid), threads, rssKb * 1024, CommandLine(pid), cpu, start);
    }

    /// <summary>utime + stime in clock ticks, or null when the process has gone.</summary>
    public ulong? CpuTicks(int pid) => Read($"/proc/{pid}/stat") is { } stat ? ParseStat(stat).Cpu : null;

    public string CommandLine(int pid)
    {
        var raw = Read($"/proc/{pid}/cmdline") ?? string.Empty;
        var text = raw.TrimEnd('\0').Replace('\0', ' ');
        return text.Length <= CommandLineLimit ? text : text[..CommandLineLimit] + "…";
    }

    /// <summary>The control groups the process is in (systemd puts a service's processes under "…/name.service").</summary>
    public string CGroups(int pid) => Read($"/proc/{pid}/cgroup") ?? string.Empty;

    internal static Dictionary<string, string> ParseStatus(string status)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in status.Split('\n'))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                fields[line[..colon]] = line[(colon + 1)..].Trim();
            }
        }

        return fields;
    }

    /// <summary>"123456 kB" → 123456.</summary>
    internal static long Kilobytes(string value) =>
        long.TryParse(value.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(), CultureInfo.InvariantCulture, out var kb) ? kb : 0;

    /// <summary>/proc/pid/stat: "pid (comm) S ppid …"; comm may hold spaces and parentheses, so split after the last ')'.</summary>
    internal static (string Name, char State, ulong Cpu, ulong Start) ParseStat(string stat)
    {
        var open = stat.IndexOf('(', StringComparison.Ordinal);
        var close = stat.LastIndexOf(')');
        if (open < 0 || close < open)
        {
            return (string.Empty, '?', 0, 0);
        }

        var name = stat[(open + 1)..close];
        var rest = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // rest[0] = state (field 3); utime = field 14, stime = field 15, starttime = field 22.
        ulong Field(int number) => rest.Length > number - 3 && ulong.TryParse(rest[number - 3], CultureInfo.InvariantCulture, out var v) ? v : 0;
        return (name, rest.Length > 0 && rest[0].Length > 0 ? rest[0][0] : '?', Field(14) + Field(15), Field(22));
    }

    public string UserName(long uid)
    {
        _users ??= ReadPasswd();
        return _users.TryGetValue(uid, out var name) ? name : uid.ToString(CultureInfo.InvariantCulture);
    }

    private Dictionary<long, string> ReadPasswd()
    {
        var users = new Dictionary<long, string>();
        foreach (var line in (fs.ReadText("/etc/passwd") ?? string.Empty).Split('\n'))
        {
            var f = line.Split(':');
            if (f.Length >= 4 && long.TryParse(f[2], CultureInfo.InvariantCulture, out var uid))
            {
                users.TryAdd(uid, f[0]);
            }
        }

        return users;
    }

    /// <summary>Does this process belong to one of the named services: its systemd unit, its name or its command line?</summary>
    public bool BelongsTo(ProcessEntry process, IReadOnlyCollection<string> services)
    {
        if (services.Count == 0)
        {
            return false;
        }

        var cgroups = CGroups(process.Pid);
        var words = process.CommandLine.Split(' ', '/', '=', ':');
        return services.Any(s =>
            cgroups.Contains($"/{s}.service", StringComparison.Ordinal)
            || process.Name.Equals(s, StringComparison.Ordinal)
            || words.Contains(s, StringComparer.Ordinal));
    }

    /// <summary>Kernel clock ticks per second (USER_HZ); 100 on every Linux architecture .NET runs on.</summary>
    public const double TicksPerSecond = 100;

    /// <summary>When the process started, from its start ticks and the boot time in /proc/stat.</summary>
    public DateTimeOffset? StartTime(ProcessEntry process)
    {
        var btime = (_procStat ??= fs.ReadText("/proc/stat") ?? string.Empty).Split('\n').FirstOrDefault(l => l.StartsWith("btime ", StringComparison.Ordinal));
        return btime is not null && long.TryParse(btime.AsSpan(6), CultureInfo.InvariantCulture, out var boot)
            ? DateTimeOffset.FromUnixTimeSeconds(boot).AddSeconds(process.StartTicks / TicksPerSecond)
            : null;
    }
}
