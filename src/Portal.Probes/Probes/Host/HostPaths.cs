using Portal.Probes.Contract;

namespace Portal.Probes.Probes.Host;

/// <summary>
/// Which files a host probe may touch: only what the target's inventory entry names. Paths are
/// absolute and plain ("." and ".." segments refused before anything is read); symbolic links are
/// resolved and the resolved path must still be allowed, so a link cannot lead out of the allowlist.
/// </summary>
internal static class HostPaths
{
    /// <summary>Absolute path of ordinary characters; traversal is checked separately.</summary>
    public const string PathPattern = "/[A-Za-z0-9._@+~,/-]{0,511}";

    /// <returns>Null when the path is plain and absolute; otherwise why it is refused.</returns>
    public static string? WhyNotPlain(string path)
    {
        if (!path.StartsWith('/'))
        {
            return "the path must be absolute";
        }

        var segments = path.Split('/');
        return segments.Any(s => s is "." or "..") ? "path traversal ('.' or '..' segments) is refused" : null;
    }

    /// <summary>The target's log files, as written and with their directory's links resolved.</summary>
    public static HashSet<string> AllowedLogFiles(IHostFileSystem fs, ProbeTarget target)
    {
        var allowed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var log in target.LogPaths.Where(p => WhyNotPlain(p) is null))
        {
            allowed.Add(log);
            if (Path.GetDirectoryName(log) is { } dir && fs.RealPath(dir) is { } realDir)
            {
                allowed.Add(Path.Combine(realDir, Path.GetFileName(log)));
            }
        }

        return allowed;
    }

    /// <summary>The target's log directories (as written and resolved).</summary>
    public static HashSet<string> AllowedLogDirectories(IHostFileSystem fs, ProbeTarget target)
    {
        var dirs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var log in target.LogPaths.Where(p => WhyNotPlain(p) is null))
        {
            if (Path.GetDirectoryName(log) is { } dir)
            {
                dirs.Add(dir);
                if (fs.RealPath(dir) is { } real)
                {
                    dirs.Add(real);
                }
            }
        }

        return dirs;
    }

    /// <summary>Decides whether <paramref name="path"/> may be read as one of <paramref name="allowed"/> files.</summary>
    /// <returns>The resolved path to open, or a refusal (Refused) or a missing file (Missing).</returns>
    public static PathCheck CheckFile(IHostFileSystem fs, string path, ProbeTarget target, Func<string, bool> allowed, string what)
    {
        if (WhyNotPlain(path) is { } notPlain)
        {
            return PathCheck.Refuse(notPlain);
        }

        if (!allowed(path))
        {
            return PathCheck.Refuse($"{path} is not one of target '{target.Name}''s {what}");
        }

        var real = fs.RealPath(path);
        if (real is null || !fs.FileExists(real))
        {
            return PathCheck.Missing();
        }

        return allowed(real)
            ? PathCheck.Ok(real)
            : PathCheck.Refuse($"{path} is a link to {real}, which is not one of target '{target.Name}''s {what}");
    }
}

internal sealed record PathCheck(string? Resolved, string? Refusal, bool IsMissing)
{
    public static PathCheck Ok(string resolved) => new(resolved, null, false);

    public static PathCheck Refuse(string why) => new(null, why, false);

    public static PathCheck Missing() => new(null, null, true);
}
