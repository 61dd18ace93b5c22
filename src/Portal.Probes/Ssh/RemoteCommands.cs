using System.Globalization;

namespace Portal.Probes.Ssh;

/// <summary>
/// Every command the portal sends over SSH, as fixed templates. The only variable parts are quoted
/// words (<see cref="ShellQuote"/>) and integers formatted here; no caller passes shell text.
/// </summary>
internal static class RemoteCommands
{
    /// <summary>The environment every program runs with, as the local runner sets it.</summary>
    private const string Env = "env LC_ALL=C SYSTEMD_PAGER= SYSTEMD_COLORS=0";

    /// <summary>Runs a known program (full path from the fixed list) with quoted arguments.</summary>
    public static string Program(string path, IReadOnlyList<string> arguments) =>
        $"exec {Env} {ShellQuote.Quote(path)}{Arguments(arguments)}";

    /// <summary>Like <see cref="Program"/>, but first prints the process id (the shell's, kept by exec) on a line of its own, so the portal can stop it later.</summary>
    public static string Streaming(string path, IReadOnlyList<string> arguments) =>
        $"echo $$; exec {Env} {ShellQuote.Quote(path)}{Arguments(arguments)}";

    /// <summary>Stops a process this connection started (pid as printed by <see cref="Streaming"/>).</summary>
    public static string Kill(int pid) => "kill -TERM " + pid.ToString(CultureInfo.InvariantCulture) + " 2>/dev/null; true";

    /// <summary>Which of the candidate program paths are executable here.</summary>
    public static string Which(IEnumerable<string> candidates) =>
        $"for p in {ShellQuote.Join(candidates)}; do if [ -x \"$p\" ] && [ -f \"$p\" ]; then printf '%s\\n' \"$p\"; fi; done";

    public static string Cat(string path) => "exec cat -- " + ShellQuote.Quote(path);

    /// <summary>Names in a directory, NUL-separated (names may hold anything but NUL and '/').</summary>
    public static string List(string directory) =>
        $"exec find {ShellQuote.Quote(directory)} -mindepth 1 -maxdepth 1 -printf '%f\\0'";

    public static string ReadLink(string path) => "exec readlink -- " + ShellQuote.Quote(path);

    public static string IsFile(string path) => "test -f " + ShellQuote.Quote(path);

    public static string IsDirectory(string path) => "test -d " + ShellQuote.Quote(path);

    public static string RealPath(string path) => "exec realpath -e -- " + ShellQuote.Quote(path);

    /// <summary>Size of a regular file (links followed); prints nothing when it is not one.</summary>
    public static string Length(string path)
    {
        var q = ShellQuote.Quote(path);
        return $"if [ -f {q} ]; then exec stat -L -c %s -- {q}; fi";
    }

    /// <summary>"missing", "denied", "notfile" or the size in bytes: what opening a file for reading would find.</summary>
    public static string Probe(string path)
    {
        var q = ShellQuote.Quote(path);
        return $"if [ ! -e {q} ]; then echo missing; elif [ -d {q} ]; then echo notfile; elif [ ! -r {q} ]; then echo denied; else exec stat -L -c %s -- {q}; fi";
    }

    /// <summary>Bytes [offset, offset + count) of a file, streamed.</summary>
    public static string Range(string path, long offset, long count) =>
        string.Create(CultureInfo.InvariantCulture, $"tail -c +{offset + 1} -- {ShellQuote.Quote(path)} | head -c {count}");

    /// <summary>
    /// Many small files in one round trip: for each, its path on a line, then "+" and its content in
    /// base64 on one line, or "-" when it cannot be read.
    /// </summary>
    public static string ReadMany(IEnumerable<string> paths) =>
        $"for f in {ShellQuote.Join(paths)}; do printf '%s\\n' \"$f\"; if b=$(base64 -w0 -- \"$f\" 2>/dev/null); then printf '+%s\\n' \"$b\"; else printf -- '-\\n'; fi; done";

    /// <summary>The symbolic links directly inside each directory, as NUL-separated (directory, name, target) triples.</summary>
    public static string ReadLinks(IEnumerable<string> directories) =>
        $"find {ShellQuote.Join(directories)} -mindepth 1 -maxdepth 1 -type l -printf '%h\\0%f\\0%l\\0' 2>/dev/null; true";

    private static string Arguments(IReadOnlyList<string> arguments) =>
        arguments.Count == 0 ? string.Empty : " " + ShellQuote.Join(arguments);
}
