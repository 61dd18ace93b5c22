using System.Diagnostics;
using System.Net;
using System.Text;
using Portal.Probes.Contract;
using Portal.Probes.Network;

namespace Portal.Probes.Probes.Host;

/// <summary>
/// Reads files on the machine a host probe inspects. Today that is the portal's own machine
/// (<see cref="LocalHostFileSystem"/>); an SSH implementation can plug in behind the same seam.
/// Every method answers "not there / not readable" with null or an empty list, never an exception.
/// </summary>
public interface IHostFileSystem
{
    /// <returns>The whole file as text, or null when it does not exist or cannot be read.</returns>
    string? ReadText(string path);

    /// <returns>Names (not paths) of the entries of a directory; empty when it cannot be listed.</returns>
    IReadOnlyList<string> List(string directory);

    /// <returns>Where a symbolic link points (not resolved further), or null when it is not a link.</returns>
    string? ReadLink(string path);

    bool FileExists(string path);

    bool DirectoryExists(string path);

    /// <returns>The path with every symbolic link resolved (like realpath), or null when it does not exist.</returns>
    string? RealPath(string path);

    /// <returns>Size in bytes, or null when it is not a readable file.</returns>
    long? Length(string path);

    /// <summary>Opens a file for reading with shared read/write, so a log being written stays writable.</summary>
    Stream OpenRead(string path);

    /// <summary>Many small files at once (one round trip over SSH); unreadable ones are left out.</summary>
    IReadOnlyDictionary<string, string> ReadMany(IReadOnlyCollection<string> paths)
    {
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            if (!texts.ContainsKey(path) && ReadText(path) is { } text)
            {
                texts[path] = text;
            }
        }

        return texts;
    }

    /// <summary>The symbolic links directly inside each directory: directory → (name → where it points).</summary>
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ReadLinks(IReadOnlyCollection<string> directories)
    {
        var result = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var directory in directories.Distinct(StringComparer.Ordinal))
        {
            var links = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var name in List(directory))
            {
                if (ReadLink($"{directory}/{name}") is { } link)
                {
                    links[name] = link;
                }
            }

            result[directory] = links;
        }

        return result;
    }
}

/// <summary>Runs fixed programs with argument lists (never a shell) on the inspected machine.</summary>
public interface IHostCommands
{
    /// <returns>The full path of a known program (e.g. "systemctl"), or null when it is not installed.</returns>
    string? Find(string program);

    /// <summary>Runs to completion (or the limit) and returns what it printed.</summary>
    Task<CommandResult> RunAsync(string program, IReadOnlyList<string> arguments, TimeSpan limit, CancellationToken ct);

    /// <summary>Starts a program whose standard output is read line by line as it arrives (journalctl -f, tracepath).</summary>
    IRunningCommand Start(string program, IReadOnlyList<string> arguments);
}

/// <summary>A program started by <see cref="IHostCommands.Start"/>. Disposing kills it (and its children) if it still runs.</summary>
public interface IRunningCommand : IAsyncDisposable
{
    int ProcessId { get; }

    /// <returns>The next line of standard output; null at its end or when <paramref name="ct"/> is cancelled.</returns>
    Task<string?> ReadLineAsync(CancellationToken ct);

    /// <returns>Exit code once it has exited (after the last line), or null if it had to be killed.</returns>
    Task<int?> WaitAsync(TimeSpan limit);

    /// <summary>Standard error collected so far (bounded).</summary>
    string Stderr { get; }
}

public sealed record CommandResult(int? ExitCode, string Stdout, string Stderr, bool TimedOut);

/// <summary>The seam host probes read the machine through, and the rule for which machine that is.</summary>
public sealed record HostAccess(IHostFileSystem Files, IHostCommands Commands)
{
    public static HostAccess Local { get; } = new(new LocalHostFileSystem(), new LocalHostCommands());

    /// <summary>
    /// A target without SSH settings means the portal's own machine: one whose host is another machine
    /// is refused instead of silently inspecting the wrong one.
    /// </summary>
    /// <returns>Null when the target lives here; otherwise why the probe cannot inspect it.</returns>
    public static string? WhyNotLocal(ProbeTarget target)
    {
        var (host, _) = TargetEndpoint.Of(target);
        if (string.IsNullOrEmpty(host)
            || host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || host.Equals(Environment.MachineName, StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip)))
        {
            return null;
        }

        return $"target '{target.Name}' lives on {host}; host probes reach other machines only over SSH, and the target has no SSH settings";
    }

    /// <summary>Unit names the target declares, without a ".service" suffix.</summary>
    public static IReadOnlyList<string> UnitNames(ProbeTarget target) =>
        [.. target.Units.Select(u => u.EndsWith(".service", StringComparison.Ordinal) ? u[..^8] : u)];
}

public sealed class LocalHostFileSystem : IHostFileSystem
{
    public string? ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return null;
        }
    }

    public IReadOnlyList<string> List(string directory)
    {
        try
        {
            return [.. Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).OfType<string>()];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    public string? ReadLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public bool FileExists(string path) => File.Exists(path);

    public bool DirectoryExists(string path) => Directory.Exists(path);

    public string? RealPath(string path)
    {
        try
        {
            // Resolve each component in turn, as realpath does: a link anywhere in the path counts.
            var full = Path.GetFullPath(path);
            var root = Path.GetPathRoot(full) ?? "/";
            var current = root;
            var parts = new Queue<string>(full[root.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries));
            var hops = 0;
            while (parts.Count > 0)
            {
                var next = Path.Combine(current, parts.Dequeue());
                var info = new FileInfo(next);
                if (!info.Exists && !Directory.Exists(next))
                {
                    return null;
                }

                if (info.LinkTarget is { } link)
                {
                    if (++hops > 40)
                    {
                        return null; // a loop
                    }

                    var resolved = Path.GetFullPath(link, current);
                    var rest = parts.ToArray();
                    var resolvedRoot = Path.GetPathRoot(resolved) ?? "/";
                    parts = new Queue<string>(resolved[resolvedRoot.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries).Concat(rest));
                    current = resolvedRoot;
                    continue;
                }

                current = next;
            }

            return current;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    public long? Length(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Exists ? info.Length : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public Stream OpenRead(string path) =>
        new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024, FileOptions.Asynchronous);
}

/// <summary>Programs are looked up in a fixed list of full paths; nothing comes from PATH or a shell.</summary>
public sealed class LocalHostCommands(IReadOnlyDictionary<string, string[]>? programs = null) : IHostCommands
{
    public static IReadOnlyDictionary<string, string[]> KnownPrograms { get; } = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["systemctl"] = ["/usr/bin/systemctl", "/bin/systemctl"],
        ["journalctl"] = ["/usr/bin/journalctl", "/bin/journalctl"],
        ["tracepath"] = ["/usr/bin/tracepath", "/bin/tracepath", "/usr/sbin/tracepath"],
        ["traceroute"] = ["/usr/bin/traceroute", "/usr/sbin/traceroute", "/bin/traceroute"],
        ["stat"] = ["/usr/bin/stat", "/bin/stat"],
    };

    private readonly IReadOnlyDictionary<string, string[]> _programs = programs ?? KnownPrograms;

    public string? Find(string program) =>
        _programs.TryGetValue(program, out var candidates) ? candidates.FirstOrDefault(File.Exists) : null;

    public async Task<CommandResult> RunAsync(string program, IReadOnlyList<string> arguments, TimeSpan limit, CancellationToken ct)
    {
        await using var running = (RunningCommand)Start(program, arguments);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(limit);
        var stdout = new StringBuilder();
        while (await running.ReadLineAsync(timeout.Token) is { } line)
        {
            if (stdout.Length < 1_000_000)
            {
                stdout.Append(line).Append('\n');
            }
        }

        var timedOut = timeout.IsCancellationRequested;
        var exit = timedOut ? null : await running.WaitAsync(TimeSpan.FromSeconds(5));
        return new CommandResult(exit, stdout.ToString(), running.Stderr, timedOut);
    }

    public IRunningCommand Start(string program, IReadOnlyList<string> arguments)
    {
        var path = Find(program) ?? throw new FileNotFoundException($"{program} is not installed here.");
        var info = new ProcessStartInfo(path)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            CreateNoWindow = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["LC_ALL"] = "C";
        info.Environment["SYSTEMD_PAGER"] = string.Empty;
        info.Environment["SYSTEMD_COLORS"] = "0";
        return new RunningCommand(Process.Start(info) ?? throw new InvalidOperationException($"{program} did not start."));
    }

    private sealed class RunningCommand : IRunningCommand
    {
        private readonly Process _process;
        private readonly StringBuilder _stderr = new();
        private readonly Task _stderrPump;
        private Task<string?>? _pendingRead;

        public RunningCommand(Process process)
        {
            _process = process;
            _process.StandardInput.Close();
            _stderrPump = PumpStderrAsync();
        }

        public int ProcessId => _process.Id;

        public string Stderr
        {
            get
            {
                lock (_stderr)
                {
                    return _stderr.ToString();
                }
            }
        }

        public async Task<string?> ReadLineAsync(CancellationToken ct)
        {
            // A read cancelled by the token is not abandoned: the next call picks it up, so no line is lost.
            _pendingRead ??= _process.StandardOutput.ReadLineAsync(CancellationToken.None).AsTask();
            try
            {
                var line = await _pendingRead.WaitAsync(ct);
                _pendingRead = null;
                return line;
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }

        public async Task<int?> WaitAsync(TimeSpan limit)
        {
            using var cts = new CancellationTokenSource(limit);
            try
            {
                await _process.WaitForExitAsync(cts.Token);
                return _process.ExitCode;
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                }

                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _process.WaitForExitAsync(cts.Token);
                await _stderrPump.WaitAsync(cts.Token);
            }
            catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
            {
                // Already gone, or it would not die within the limit; nothing more to do.
            }
            finally
            {
                _process.Dispose();
            }
        }

        private async Task PumpStderrAsync()
        {
            try
            {
                while (await _process.StandardError.ReadLineAsync() is { } line)
                {
                    lock (_stderr)
                    {
                        if (_stderr.Length < 16_000)
                        {
                            _stderr.Append(line).Append('\n');
                        }
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
            {
                // The process was killed while we read.
            }
        }
    }
}
