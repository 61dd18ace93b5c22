using System.Text.Json;

namespace Portal.Benchmarks.Infrastructure;

/// <summary>One line of the results table: what was measured, the target, the number, and whether it met the target.</summary>
/// <param name="Pass">null when there is no target to meet (context numbers) or nothing could be measured.</param>
public sealed record BenchRow(string Section, string What, string Target, string Measured, bool? Pass, string Note = "");

/// <summary>
/// Rows of one benchmark, written as JSON to the results folder (one file per benchmark) so a later
/// `report` run can assemble docs/benchmarks.md from whatever parts ran.
/// </summary>
public sealed class BenchResults(string section)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public List<BenchRow> Rows { get; } = [];

    /// <summary>Free-text details (raw samples, A/B rounds) kept next to the rows.</summary>
    public List<string> Details { get; } = [];

    public void Add(string what, string target, string measured, bool? pass, string note = "")
    {
        Rows.Add(new BenchRow(section, what, target, measured, pass, note));
        Console.WriteLine($"[{section}] {what}: {measured} (target {target}) {(pass is null ? "" : pass.Value ? "PASS" : "MISS")} {note}");
    }

    public void Detail(string line)
    {
        Details.Add(line);
        Console.WriteLine($"[{section}]   {line}");
    }

    public async Task SaveAsync(string folder, string name)
    {
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, name + ".json"), JsonSerializer.Serialize(new Saved(Rows, Details), Json));
    }

    public static async Task<(List<BenchRow> Rows, List<string> Details)> LoadAsync(string file)
    {
        var saved = JsonSerializer.Deserialize<Saved>(await File.ReadAllTextAsync(file), Json)!;
        return (saved.Rows, saved.Details);
    }

    private sealed record Saved(List<BenchRow> Rows, List<string> Details);
}
