using System.Diagnostics;

namespace Portal.Lab.Platform;

/// <summary>
/// This process's CPU use over the last second, sampled in the background for /health: the CPU time it got
/// and how many of its threads wanted a core (runnable, from /proc/self/task). The second counts on a busy
/// shared machine, where a spinning thread may get only a fraction of a core yet always waits for one.
/// </summary>
public sealed class CpuSampler : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);

    /// <summary>CPU time this process got over the last second, in % of one core.</summary>
    public double Percent { get; private set; }

    /// <summary>How many of its threads wanted a core, on average over the last second.</summary>
    public double Runnable { get; private set; }

    /// <summary>Busy: over 80 % of a core used, or more than one and a half cores wanted (threads kept waiting on a loaded machine).</summary>
    public bool IsBusy => Percent > 80 || Runnable >= 1.5;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var process = Process.GetCurrentProcess();
        var last = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var runnable = new Queue<int>();
        using var timer = new PeriodicTimer(Tick);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            runnable.Enqueue(RunnableThreads());
            if (runnable.Count < 10)
            {
                continue;
            }

            process.Refresh();
            var now = process.TotalProcessorTime;
            var used = (now - last).TotalMilliseconds / watch.Elapsed.TotalMilliseconds * 100;
            Percent = used;
            Runnable = runnable.Average();
            last = now;
            watch.Restart();
            runnable.Clear();
        }
    }

    /// <summary>Threads of this process in state R, not counting the one asking.</summary>
    private static int RunnableThreads()
    {
        var count = 0;
        try
        {
            foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
            {
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var end = stat.LastIndexOf(')');
                if (end > 0 && end + 2 < stat.Length && stat[end + 2] == 'R')
                {
                    count++;
                }
            }
        }
        catch (IOException)
        {
            return 0; // a thread ended while we looked; the next sample counts again
        }

        return Math.Max(0, count - 1);
    }
}
