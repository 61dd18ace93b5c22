using System.Diagnostics;
using System.Runtime.CompilerServices;
using Portal.Probes.Contract;

namespace Portal.Probes.Probes.Host;

/// <summary>
/// What <c>ls -ld</c> on a file and every directory above it tells, and what an engineer then works
/// out by hand: can the service's user get to the file, read it, write it? Owner and group names come
/// from /etc/passwd and /etc/group, the user's groups include its supplementary ones. The path must be
/// one of the target's log files, the directory one of them is in, or a file directly inside such a
/// directory; links are resolved and the resolved path must still be allowed.
/// </summary>
public sealed class FilePermissionsProbe : IProbe
{
    internal const string UserPattern = "[a-z_][a-z0-9_-]{0,31}";

    private readonly IHostAccessProvider _hosts;

    public FilePermissionsProbe()
        : this(HostAccessProvider.Default)
    {
    }

    public FilePermissionsProbe(IHostAccessProvider hosts) => _hosts = hosts;

    internal FilePermissionsProbe(HostAccess host)
        : this(HostAccessProvider.Fixed(host))
    {
    }

    public ProbeDescriptor Descriptor { get; } = new(
        Kind: "file.permissions",
        Title: "File permissions",
        TitleZh: "文件权限检查",
        Description: "Reports owner, group and mode of a file and of each directory above it, and whether a user can reach, read and write it.",
        TargetKinds: [TargetKind.Host, TargetKind.Http, TargetKind.Postgres, TargetKind.Redis, TargetKind.Prometheus],
        Parameters:
        [
            new ProbeParameter(
                "path",
                ParameterType.String,
                "Absolute path: one of the target's log files, the directory a log file is in, or a file directly inside that directory (links are resolved and must stay there). Defaults to the target's first log file.",
                Pattern: HostFilePaths.LongPathPattern,
                MaxLength: 1024),
            new ProbeParameter("user", ParameterType.String, "The user to check for; defaults to the user the target's service runs as, when a process of it is found.", Pattern: UserPattern, MaxLength: 32),
            new ProbeParameter("need", ParameterType.Choice, "read: the user must be able to read it; write: read and write.", Default: "read", Choices: ["read", "write"]),
        ],
        DefaultTimeout: TimeSpan.FromSeconds(15),
        MaxTimeout: TimeSpan.FromSeconds(60));

    public async IAsyncEnumerable<ProbeEvent> RunAsync(ProbeRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        var target = request.Target;
        using var lease = await _hosts.AcquireAsync(target, mustBeHere: true, ct);
        if (lease.Access is not { } host)
        {
            foreach (var refusedEvent in lease.RefusalEvents("Cannot inspect files"))
            {
                yield return refusedEvent;
            }

            yield break;
        }

        var path = request.GetOptional("path") ?? (target.LogPaths.Count > 0 ? target.LogPaths[0] : null);
        if (path is null)
        {
            yield return new Verdict(VerdictStatus.Error, $"Name a path: target '{target.Name}' lists no log files to default to.");
            yield break;
        }

        var files = HostPaths.AllowedLogFiles(host.Files, target);
        var dirs = HostPaths.AllowedLogDirectories(host.Files, target);
        var check = HostFilePaths.Check(host.Files, path, target, p => files.Contains(p) || dirs.Contains(p) || dirs.Contains(Path.GetDirectoryName(p) ?? string.Empty), "a log file, log directory or file in a log directory");
        if (check.Refusal is { } refusal)
        {
            yield return new Finding("file.error", "refused_by_policy");
            yield return new Verdict(VerdictStatus.Error, $"Refused: {refusal}.");
            yield break;
        }

        var users = new UserDatabase(host.Files);
        var (userName, userSource) = await ChooseUserAsync(host, request, ct);
        if (ct.IsCancellationRequested)
        {
            yield break;
        }

        if (userName is null)
        {
            yield return new Verdict(VerdictStatus.Error, $"Name a user: no running process of target '{target.Name}''s service was found to take it from.");
            yield break;
        }

        if (users.User(userName) is not { } user)
        {
            yield return new Verdict(VerdictStatus.Error, $"There is no user '{userName}' in /etc/passwd.");
            yield break;
        }

        yield return new OutputLine($"Checking {path} for user {user.Name} (uid {user.Uid}, groups {string.Join(",", user.Groups.Order().Select(users.GroupName))}){userSource}…", OutputStream.Info);

        var resolved = check.Resolved ?? WhereMissingWouldBe(host, HostFilePaths.Trim(path));
        if (check.Resolved is { } real && real != HostFilePaths.Trim(path))
        {
            yield return new OutputLine($"{path} -> {real}", OutputStream.Info);
        }

        var chain = HostFilePaths.Parents(resolved).Append(resolved).ToList();
        var watch = Stopwatch.StartNew();
        var (entries, statError) = await HostStat.RunAsync(host.Commands, chain, ct);
        if (ct.IsCancellationRequested)
        {
            yield break;
        }

        yield return new Metric("stat_ms", watch.Elapsed.TotalMilliseconds, "ms");
        if (statError is not null)
        {
            yield return new Verdict(VerdictStatus.Error, $"Cannot read permissions: {statError}.");
            yield break;
        }

        foreach (var e in Report(path, resolved, check.IsMissing, chain, entries, user, users, request.Get("need") == "write"))
        {
            yield return e;
        }
    }

    internal static IEnumerable<ProbeEvent> Report(
        string asked, string resolved, bool missing, IReadOnlyList<string> chain, IReadOnlyDictionary<string, StatEntry> entries, HostUser user, UserDatabase users, bool needWrite)
    {
        string Describe(StatEntry e) => $"{e.Path} is {e.Octal} {users.UserName(e.Uid)}:{users.GroupName(e.Gid)}";

        StatEntry? blocker = null;
        foreach (var dir in chain.Take(chain.Count - 1))
        {
            if (!entries.TryGetValue(dir, out var entry))
            {
                break; // below here nothing exists
            }

            var enter = Permission.Allows(entry, user, Permission.Execute);
            blocker ??= enter ? null : entry;
            yield return new OutputLine($"{entry.Symbolic} {users.UserName(entry.Uid),-10} {users.GroupName(entry.Gid),-10} {entry.Octal}  {dir}{(enter ? string.Empty : $"   <- {user.Name} cannot enter")}");
        }

        if (blocker is not null)
        {
            yield return new Finding("file.blocked_by", blocker.Path);
        }

        if (missing || !entries.TryGetValue(resolved, out var file))
        {
            yield return new Finding("file.exists", "false");
            var dir = chain.Count > 1 ? chain[^2] : null;
            var why = blocker is not null ? $"; {Describe(blocker)} — user {user.Name} could not reach it anyway"
                : dir is not null && entries.TryGetValue(dir, out var parent)
                    ? Permission.Allows(parent, user, Permission.Write | Permission.Execute)
                        ? $"; user {user.Name} may create it in {dir}"
                        : $"; {Describe(parent)} — user {user.Name} cannot create it there"
                    : $"; {dir} does not exist either";
            yield return new Verdict(VerdictStatus.Fail, $"{asked} does not exist{why}.");
            yield break;
        }

        // A directory is "read" by listing it (r and x) and "written" by creating in it (w and x).
        var extra = file.IsDirectory ? Permission.Execute : 0;
        var read = blocker is null && Permission.Allows(file, user, Permission.Read | extra);
        var write = blocker is null && Permission.Allows(file, user, Permission.Write | extra);
        yield return new OutputLine($"{file.Symbolic} {users.UserName(file.Uid),-10} {users.GroupName(file.Gid),-10} {file.Octal}  {resolved}");
        yield return new Finding("file.exists", "true");
        yield return new Finding("file.type", file.IsDirectory ? "directory" : "file");
        yield return new Finding("file.owner", users.UserName(file.Uid));
        yield return new Finding("file.group", users.GroupName(file.Gid));
        yield return new Finding("file.mode", file.Octal);
        yield return new Finding("file.mode_symbolic", file.Symbolic);
        yield return new Finding("file.user", user.Name);
        yield return new Finding("file.readable", ProbeText.Bool(read));
        yield return new Finding("file.writable", ProbeText.Bool(write));
        yield return new OutputLine($"user {user.Name}: read {(read ? "yes" : "no")}, write {(write ? "yes" : "no")}{(user.Uid == 0 ? " (root may do anything)" : string.Empty)}", OutputStream.Info);

        if (blocker is not null)
        {
            yield return new Verdict(VerdictStatus.Fail, $"{Describe(blocker)} — user {user.Name} cannot enter it, so it cannot reach {resolved}.");
        }
        else if (!read)
        {
            yield return new Verdict(VerdictStatus.Fail, $"{Describe(file)} — user {user.Name} cannot read it.");
        }
        else if (needWrite && !write)
        {
            yield return new Verdict(VerdictStatus.Fail, $"{Describe(file)} — user {user.Name} can read it but cannot write it.");
        }
        else
        {
            yield return new Verdict(VerdictStatus.Pass, $"User {user.Name} can read{(write ? " and write" : string.Empty)} {resolved} ({file.Octal} {users.UserName(file.Uid)}:{users.GroupName(file.Gid)}).");
        }
    }

    /// <summary>A missing file's directory may be behind a link: judge the real directory.</summary>
    private static string WhereMissingWouldBe(HostAccess host, string path) =>
        Path.GetDirectoryName(path) is { } dir && host.Files.RealPath(dir) is { } realDir ? Path.Combine(realDir, Path.GetFileName(path)) : path;

    /// <returns>The user to check and, when it was not named, where it came from.</returns>
    private static async Task<(string? User, string Source)> ChooseUserAsync(HostAccess host, ProbeRequest request, CancellationToken ct)
    {
        if (request.GetOptional("user") is { } named)
        {
            return (named, string.Empty);
        }

        var services = HostAccess.UnitNames(request.Target);
        if (services.Count == 0)
        {
            return (null, string.Empty);
        }

        var fromProcesses = await Task.Run(() => ServiceUser(host, services), CancellationToken.None);
        if (fromProcesses is not null)
        {
            return (fromProcesses, $", the user {string.Join("/", services)} runs as");
        }

        if (!Systemd.IsRunning(host.Files) || host.Commands.Find("systemctl") is null)
        {
            return (null, string.Empty);
        }

        try
        {
            var result = await host.Commands.RunAsync("systemctl", ["show", services[0], "--property=User", "--value", "--no-pager"], TimeSpan.FromSeconds(10), ct);
            var user = result.ExitCode == 0 ? result.Stdout.Trim() : string.Empty;
            return System.Text.RegularExpressions.Regex.IsMatch(user, $"^{UserPattern}$", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromMilliseconds(100))
                ? (user, $", the User= of {services[0]}")
                : (null, string.Empty);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or OperationCanceledException)
        {
            return (null, string.Empty);
        }
    }

    /// <summary>The user the service's processes run as; a non-root one wins (a root master with unprivileged workers is common).</summary>
    private static string? ServiceUser(HostAccess host, IReadOnlyCollection<string> services)
    {
        var proc = new ProcTable(host.Files);
        var owners = proc.Pids().Select(proc.Process).OfType<ProcessEntry>().Where(p => proc.BelongsTo(p, services)).ToList();
        return owners.OrderBy(p => p.Uid == 0).ThenBy(p => p.Pid).Select(p => p.User).FirstOrDefault();
    }
}
