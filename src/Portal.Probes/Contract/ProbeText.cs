using System.Globalization;

namespace Portal.Probes.Contract;

/// <summary>Formatting shared by probes: invariant numbers, so findings compare the same everywhere.</summary>
public static class ProbeText
{
    public static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Ms(TimeSpan elapsed) => elapsed.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture) + " ms";

    public static string Bool(bool value) => value ? "true" : "false";
}
