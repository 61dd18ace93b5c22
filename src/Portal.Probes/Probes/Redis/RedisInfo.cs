using System.Globalization;

namespace Portal.Probes.Probes.Redis;

/// <summary>The "key:value" lines of an INFO reply, section headers and blank lines skipped.</summary>
internal sealed class RedisInfo
{
    private readonly Dictionary<string, string> _values;

    private RedisInfo(Dictionary<string, string> values) => _values = values;

    public static RedisInfo Parse(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                values[line[..colon]] = line[(colon + 1)..];
            }
        }

        return new RedisInfo(values);
    }

    public string? this[string key] => _values.GetValueOrDefault(key);

    public long? Long(string key) =>
        _values.TryGetValue(key, out var v) && long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : null;

    public double? Double(string key) =>
        _values.TryGetValue(key, out var v) && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;

    /// <summary>Bytes as a person reads them: 1.5 MB, 812.0 KB (binary units, like redis-cli's *_human).</summary>
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KB", "MB", "GB", "TB"];
        double value = bytes;
        var unit = 0;
        while (Math.Abs(value) >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0
            ? bytes.ToString(CultureInfo.InvariantCulture) + " B"
            : value.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[unit];
    }
}
