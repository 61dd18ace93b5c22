using System.Diagnostics;
using Portal.Probes.Contract;

namespace Portal.Probes.Tests.Host;

/// <summary>Targets, temp folders and child processes for the host probe tests.</summary>
internal static class HostTestSupport
{
    public static ProbeTarget Target(IReadOnlyList<string>? units = null, IReadOnlyList<string>? logPaths = null) =>
        ProbeHarness.LocalTarget(TargetKind.Host, name: "platform-api") with { Units = units ?? [], LogPaths = logPaths ?? [] };

    /// <summary>The test host's own process name as the kernel knows it (/proc/self/comm).</summary>
    public static string OwnProcessName => File.ReadAllText("/proc/self/comm").Trim();

    public static string TempDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "portal-host-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Starts a fixed program (no shell) for a test to look at; dispose kills it.</summary>
    public static Process Spawn(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        return Process.Start(info)!;
    }

    /// <summary>Pids of processes running <paramref name="program"/> whose parent is this test host.</summary>
    public static IReadOnlyList<int> ChildrenNamed(string program)
    {
        var own = Environment.ProcessId;
        var result = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText($"{dir}/stat");
                var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var name = stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')];
                if (name == program && rest[0] != "Z" && int.Parse(rest[1]) == own)
                {
                    result.Add(pid);
                }
            }
            catch (IOException)
            {
            }
        }

        return result;
    }

    /// <summary>Polls a condition until it holds or the deadline passes.</summary>
    public static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < limit)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(20);
        }

        return condition();
    }
}
