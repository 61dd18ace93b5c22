using System.Globalization;
using Portal.Probes.Contract;

namespace Portal.Probes.Probes.Host;

/// <summary>A user as /etc/passwd and /etc/group know them: uid, primary gid, and every group it belongs to.</summary>
internal sealed record HostUser(string Name, long Uid, long Gid, IReadOnlySet<long> Groups);

/// <summary>/etc/passwd and /etc/group read through <see cref="IHostFileSystem"/>: names for ids and a user's groups.</summary>
internal sealed class UserDatabase
{
    private readonly Dictionary<long, string> _userNames = [];
    private readonly Dictionary<string, (long Uid, long Gid)> _users = new(StringComparer.Ordinal);
    private readonly Dictionary<long, string> _groupNames = [];
    private readonly Dictionary<string, HashSet<long>> _memberOf = new(StringComparer.Ordinal);

    public UserDatabase(IHostFileSystem fs)
    {
        foreach (var f in Records(fs.ReadText("/etc/passwd")))
        {
            if (f.Length >= 4 && Id(f[2]) is { } uid && Id(f[3]) is { } gid)
            {
                _userNames.TryAdd(uid, f[0]);
                _users.TryAdd(f[0], (uid, gid));
            }
        }

        foreach (var f in Records(fs.ReadText("/etc/group")))
        {
            if (f.Length >= 3 && Id(f[2]) is { } gid)
            {
                _groupNames.TryAdd(gid, f[0]);
                var members = f.Length >= 4 ? f[3].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];
                foreach (var member in members)
                {
                    if (!_memberOf.TryGetValue(member, out var set))
                    {
                        _memberOf[member] = set = [];
                    }

                    set.Add(gid);
                }
            }
        }
    }

    public string UserName(long uid) => _userNames.TryGetValue(uid, out var name) ? name : uid.ToString(CultureInfo.InvariantCulture);

    public string GroupName(long gid) => _groupNames.TryGetValue(gid, out var name) ? name : gid.ToString(CultureInfo.InvariantCulture);

    /// <returns>The user with its primary and supplementary groups, or null when /etc/passwd has no such user.</returns>
    public HostUser? User(string name)
    {
        if (!_users.TryGetValue(name, out var ids))
        {
            return null;
        }

        var groups = new HashSet<long> { ids.Gid };
        if (_memberOf.TryGetValue(name, out var extra))
        {
            groups.UnionWith(extra);
        }

        return new HostUser(name, ids.Uid, ids.Gid, groups);
    }

    private static IEnumerable<string[]> Records(string? text) =>
        (text ?? string.Empty).Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Split(':'));

    private static long? Id(string text) => long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
}

/// <summary>What <c>stat</c> says about one path.</summary>
internal sealed record StatEntry(string Path, long Uid, long Gid, int Mode, string Symbolic, bool IsDirectory)
{
    /// <summary>Permission bits with setuid/setgid/sticky, as four octal digits ("0755").</summary>
    public string Octal => Convert.ToString(Mode & 0xFFF, 8).PadLeft(4, '0');
}

/// <summary>Can a user read, write or enter a path? The classic Unix rule: the owner class, else the group class, else other; root may do anything. ACLs and read-only mounts are not considered.</summary>
internal static class Permission
{
    public const int Read = 4;
    public const int Write = 2;
    public const int Execute = 1;

    public static bool Allows(StatEntry entry, HostUser user, int wanted)
    {
        if (user.Uid == 0)
        {
            return true;
        }

        var bits = user.Uid == entry.Uid ? (entry.Mode >> 6) & 7
            : user.Groups.Contains(entry.Gid) ? (entry.Mode >> 3) & 7
            : entry.Mode & 7;
        return (bits & wanted) == wanted;
    }
}

/// <summary>Owner, group and mode of paths via the fixed program <c>stat</c> (one run for all of them), through <see cref="IHostCommands"/> so an SSH implementation works the same.</summary>
internal static class HostStat
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    /// <returns>Entries for the paths that exist (missing ones are left out), or an error when stat cannot run.</returns>
    public static async Task<(IReadOnlyDictionary<string, StatEntry> Entries, string? Error)> RunAsync(IHostCommands commands, IReadOnlyList<string> paths, CancellationToken ct)
    {
        if (commands.Find("stat") is null)
        {
            return (new Dictionary<string, StatEntry>(), "stat is not installed here");
        }

        // Paths come from the validated parameter (no tab or newline), so one line per path splits cleanly.
        List<string> arguments = ["--printf=%u\t%g\t%f\t%A\t%F\t%n\n", "--"];
        arguments.AddRange(paths);
        try
        {
            var result = await commands.RunAsync("stat", arguments, Limit, ct);
            if (result.TimedOut)
            {
                return (new Dictionary<string, StatEntry>(), "stat timed out");
            }

            return (Parse(result.Stdout), null);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return (new Dictionary<string, StatEntry>(), "stat could not run: " + ex.Message);
        }
    }

    internal static Dictionary<string, StatEntry> Parse(string output)
    {
        var entries = new Dictionary<string, StatEntry>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n'))
        {
            var f = line.Split('\t', 6);
            if (f.Length == 6
                && long.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var uid)
                && long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var gid)
                && int.TryParse(f[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var raw))
            {
                entries[f[5]] = new StatEntry(f[5], uid, gid, raw & 0xFFF, f[3], f[4] == "directory");
            }
        }

        return entries;
    }
}

/// <summary>Allowlists for probes that look at files other than the log files themselves.</summary>
internal static class HostFilePaths
{
    /// <summary>Like <see cref="HostPaths.PathPattern"/>, up to 1024 characters.</summary>
    public const string LongPathPattern = "/[A-Za-z0-9._@+~,/-]{0,1023}";

    /// <summary>
    /// Decides whether <paramref name="path"/> may be looked at: as written and, when it exists, with every
    /// link resolved. A missing path is judged by its directory (resolved) and name.
    /// </summary>
    public static PathCheck Check(IHostFileSystem fs, string path, ProbeTarget target, Func<string, bool> allowed, string what)
    {
        if (HostPaths.WhyNotPlain(path) is { } notPlain)
        {
            return PathCheck.Refuse(notPlain);
        }

        path = Trim(path);
        if (!allowed(path))
        {
            return PathCheck.Refuse($"{path} is not {what} of target '{target.Name}'");
        }

        var real = fs.RealPath(path);
        if (real is null)
        {
            // Missing: its directory may still be behind a link; the place it would be must be allowed too.
            var dir = Path.GetDirectoryName(path);
            var realDir = dir is null ? null : fs.RealPath(dir);
            var wouldBe = realDir is null ? path : Path.Combine(realDir, Path.GetFileName(path));
            return allowed(wouldBe) ? PathCheck.Missing() : PathCheck.Refuse($"{path} would be {wouldBe}, which is not {what} of target '{target.Name}'");
        }

        return allowed(real)
            ? PathCheck.Ok(real)
            : PathCheck.Refuse($"{path} is a link to {real}, which is not {what} of target '{target.Name}'");
    }

    /// <summary>"/a/b/" → "/a/b" (the root stays "/").</summary>
    public static string Trim(string path) => path.Length > 1 ? path.TrimEnd('/') is { Length: > 0 } t ? t : "/" : path;

    /// <summary>Every directory above <paramref name="path"/>, from "/" down to its own directory.</summary>
    public static IReadOnlyList<string> Parents(string path)
    {
        var parents = new List<string>();
        for (var dir = Path.GetDirectoryName(path); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            parents.Add(dir);
        }

        parents.Reverse();
        return parents;
    }
}
