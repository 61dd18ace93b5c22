namespace Portal.Probes.Probes.Host;

/// <summary>What systemd-based probes share: is systemd here, and may this target's probes look at this unit?</summary>
internal static class Systemd
{
    /// <summary>Unit names: letters, digits and @._:- only (no spaces, no option-like leading dash handled by the pattern's first char).</summary>
    public const string UnitPattern = "[A-Za-z0-9@._:][A-Za-z0-9@._:-]{0,127}";

    /// <summary>systemd's own test (sd_booted): the directory exists only when systemd is PID 1.</summary>
    public static bool IsRunning(IHostFileSystem fs) => fs.DirectoryExists("/run/systemd/system");

    /// <returns>Null when the unit may be inspected; otherwise why not (the target lists other units).</returns>
    public static string? WhyNotAllowed(string unit, Portal.Probes.Contract.ProbeTarget target)
    {
        if (target.Units.Count == 0)
        {
            return null;
        }

        var bare = Bare(unit);
        return target.Units.Any(u => Bare(u).Equals(bare, StringComparison.Ordinal))
            ? null
            : $"unit '{unit}' is not one of target '{target.Name}''s units ({string.Join(", ", target.Units)})";
    }

    public static string Bare(string unit) => unit.EndsWith(".service", StringComparison.Ordinal) ? unit[..^8] : unit;
}
