using System.Text.RegularExpressions;

namespace Portal.Probes.Probes.Host;

/// <summary>
/// Classified trouble in log lines: the findings the runbooks branch on
/// (journal.match.permission_denied, …). Each keeps the first matching line.
/// </summary>
internal sealed partial class LogPatterns
{
    public const int LineLimit = 300;

    private static readonly (string Name, Regex Pattern)[] Classes =
    [
        ("permission_denied", PermissionDenied()),
        ("connection_refused", ConnectionRefused()),
        ("config_error", ConfigError()),
        ("out_of_memory", OutOfMemory()),
    ];

    private readonly Dictionary<string, string> _first = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> First => _first;

    /// <returns>The classes this line is the first match for (usually none).</returns>
    public IEnumerable<(string Name, string Line)> Scan(string line)
    {
        foreach (var (name, pattern) in Classes)
        {
            if (!_first.ContainsKey(name) && Matches(pattern, line))
            {
                var kept = Truncate(line);
                _first[name] = kept;
                yield return (name, kept);
            }
        }
    }

    public static string Truncate(string line) => line.Length <= LineLimit ? line : line[..LineLimit] + "…";

    private static bool Matches(Regex pattern, string line)
    {
        try
        {
            return pattern.IsMatch(line);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"permission denied|\bEACCES\b|\bEPERM\b|operation not permitted|access denied|PermissionError", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 200)]
    private static partial Regex PermissionDenied();

    [GeneratedRegex(@"connection refused|\bECONNREFUSED\b|could not connect to server|ConnectionRefusedError|Connect call failed", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 200)]
    private static partial Regex ConnectionRefused();

    [GeneratedRegex(@"config(uration)?[ _-]?(error|invalid)|invalid config|failed to (load|parse|read) (the )?config|missing required (setting|key|config|environment)|yaml\.(scanner|parser)|JSONDecodeError|ValidationError|KeyError|no such file or directory.*\.(ya?ml|json|ini|env|conf|toml)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 200)]
    private static partial Regex ConfigError();

    [GeneratedRegex(@"out of memory|oom[-_ ]?kill|\bOOM\b|killed process \d+|MemoryError|cannot allocate memory|\bENOMEM\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 200)]
    private static partial Regex OutOfMemory();
}
