using System.Globalization;
using System.Text;
using Portal.Probes.Probes.Host;

namespace Portal.Probes.Ssh;

/// <summary>
/// <see cref="IHostFileSystem"/> on a remote machine: each call is one fixed command
/// (<see cref="RemoteCommands"/>) on the shared connection; the bulk reads fetch many /proc files in
/// one round trip. Like the local one, "not there / not readable" is null or empty, never an exception.
/// Only absolute paths are accepted, so nothing can be taken for an option.
/// </summary>
internal sealed class SshHostFileSystem(SshConnection connection) : IHostFileSystem
{
    /// <summary>The remote shell gets the whole command as one argument (at most 128 KiB on Linux); stay well below.</summary>
    private const int MaxCommandChars = 48 * 1024;

    public string? ReadText(string path)
    {
        if (!IsAbsolute(path))
        {
            return null;
        }

        var result = connection.Run(RemoteCommands.Cat(path));
        return result.ExitCode == 0 ? Decode(result.Stdout) : null;
    }

    public IReadOnlyList<string> List(string directory)
    {
        if (!IsAbsolute(directory))
        {
            return [];
        }

        var result = connection.Run(RemoteCommands.List(directory));
        return result.ExitCode == 0 ? result.Text.Split('\0', StringSplitOptions.RemoveEmptyEntries) : [];
    }

    public string? ReadLink(string path)
    {
        if (!IsAbsolute(path))
        {
            return null;
        }

        var result = connection.Run(RemoteCommands.ReadLink(path));
        return result.ExitCode == 0 ? TrimNewline(result.Text) : null;
    }

    public bool FileExists(string path) => IsAbsolute(path) && connection.Run(RemoteCommands.IsFile(path)).ExitCode == 0;

    public bool DirectoryExists(string path) => IsAbsolute(path) && connection.Run(RemoteCommands.IsDirectory(path)).ExitCode == 0;

    public string? RealPath(string path)
    {
        if (!IsAbsolute(path))
        {
            return null;
        }

        var result = connection.Run(RemoteCommands.RealPath(path));
        return result.ExitCode == 0 ? TrimNewline(result.Text) : null;
    }

    public long? Length(string path)
    {
        if (!IsAbsolute(path))
        {
            return null;
        }

        var text = connection.Run(RemoteCommands.Length(path)).Text.Trim();
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
    }

    public Stream OpenRead(string path)
    {
        if (!IsAbsolute(path))
        {
            throw new FileNotFoundException("Only absolute paths can be read.", path);
        }

        var answer = connection.Run(RemoteCommands.Probe(path)).Text.Trim();
        return answer switch
        {
            "missing" => throw new FileNotFoundException($"{path} does not exist.", path),
            "denied" => throw new UnauthorizedAccessException($"Access to the path '{path}' is denied."),
            "notfile" => throw new IOException($"{path} is a directory."),
            _ when long.TryParse(answer, NumberStyles.None, CultureInfo.InvariantCulture, out var length) => new SshFileStream(connection, path, length),
            _ => throw new IOException($"{path} cannot be read remotely."),
        };
    }

    public IReadOnlyDictionary<string, string> ReadMany(IReadOnlyCollection<string> paths)
    {
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var chunk in Chunks(paths.Where(IsAbsolute).Distinct(StringComparer.Ordinal)))
        {
            var lines = connection.Run(RemoteCommands.ReadMany(chunk)).Text.Split('\n');
            for (var i = 0; i + 1 < lines.Length; i += 2)
            {
                if (lines[i + 1].StartsWith('+'))
                {
                    texts[lines[i]] = Decode(Convert.FromBase64String(lines[i + 1][1..]));
                }
            }
        }

        return texts;
    }

    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ReadLinks(IReadOnlyCollection<string> directories)
    {
        var links = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var chunk in Chunks(directories.Where(IsAbsolute).Distinct(StringComparer.Ordinal)))
        {
            var f = connection.Run(RemoteCommands.ReadLinks(chunk)).Text.Split('\0');
            for (var i = 0; i + 2 < f.Length; i += 3)
            {
                if (!links.TryGetValue(f[i], out var inDir))
                {
                    links[f[i]] = inDir = new Dictionary<string, string>(StringComparer.Ordinal);
                }

                inDir[f[i + 1]] = f[i + 2];
            }
        }

        return links.ToDictionary(l => l.Key, l => (IReadOnlyDictionary<string, string>)l.Value, StringComparer.Ordinal);
    }

    private static IEnumerable<List<string>> Chunks(IEnumerable<string> items)
    {
        var chunk = new List<string>();
        var size = 0;
        foreach (var item in items)
        {
            if (chunk.Count > 0 && size + item.Length + 3 > MaxCommandChars)
            {
                yield return chunk;
                chunk = [];
                size = 0;
            }

            chunk.Add(item);
            size += item.Length + 3;
        }

        if (chunk.Count > 0)
        {
            yield return chunk;
        }
    }

    private static bool IsAbsolute(string path) => path.StartsWith('/') && !path.Contains('\0', StringComparison.Ordinal);

    /// <summary>As File.ReadAllText: UTF-8, a byte order mark dropped.</summary>
    private static string Decode(byte[] bytes) =>
        bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3) : Encoding.UTF8.GetString(bytes);

    private static string TrimNewline(string text) => text.EndsWith('\n') ? text[..^1] : text;
}
