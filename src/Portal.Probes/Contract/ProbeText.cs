using System.Globalization;

namespace Portal.Probes.Contract;

/// <summary>Formatting shared by probes: invariant numbers, so findings compare the same everywhere.</summary>
public static class ProbeText
{
    /// <summary>
    /// A value quoted back in a message: at most <paramref name="max"/> characters, control
    /// characters (CR, LF, NUL…) shown as '?', so an error message never carries a line break or a
    /// header of the caller's making.
    /// </summary>
    public static string Clip(string? value, int max = 64)
    {
        if (value is null)
        {
            return "";
        }

        var clipped = value.Length <= max ? value : value[..max] + "…";
        return clipped.Any(char.IsControl) ? new string([.. clipped.Select(c => char.IsControl(c) ? '?' : c)]) : clipped;
    }

    public static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Ms(TimeSpan elapsed) => elapsed.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture) + " ms";

    public static string Bool(bool value) => value ? "true" : "false";
}
