using System.Globalization;

namespace Portal.Benchmarks.Infrastructure;

/// <summary>Numbers as the report prints them (invariant culture).</summary>
public static class Fmt
{
    public static string Ms(double ms) => double.IsNaN(ms) ? "n/a" : ms.ToString(ms < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture) + " ms";

    public static string Ratio(double r) => double.IsNaN(r) || double.IsInfinity(r) ? "n/a" : r.ToString("0.00", CultureInfo.InvariantCulture) + "x";

    public static string Kb(double bytes) => (bytes / 1024).ToString("0.0", CultureInfo.InvariantCulture) + " KB";

    public static string Mb(double bytes) => (bytes / 1024 / 1024).ToString("0.0", CultureInfo.InvariantCulture) + " MB";

    public static string N(double n) => n.ToString("0.##", CultureInfo.InvariantCulture);
}
