using System.Diagnostics;
using System.Globalization;

namespace Portal.Lab.Platform;

/// <summary>
/// This process's CPU use over the last second, sampled in the background for /health: the CPU time it got
/// (% of one core), and how much of the second its busiest thread wanted a core (running or waiting to run,
/// from /proc/self/task/*/schedstat). The second shows a hot loop even on a machine so busy that the loop
/// gets only a fraction of a core. Busy means sustained (the guide's 持续): over the threshold in each of
/// the last two seconds, so one slow moment on a shared machine is not a fault.
/// </summary>
public sealed class CpuSampler : BackgroundService
{
    private Dictionary<string, long> _last = [];
    private Dictionary<string, double> _previousDemand = [];
    private double _previousPercent;

    public double Percent { get; private set; }

    /// <summary>0-1: the share of the last second the busiest thread was running or runnable.</summary>
    public double BusiestThread { get; private set; }

    /// <summary>The guide's threshold, sustained: over 80 % of a core used, or one thread wanting a core over 80 % of the time, two seconds running.</summary>
    public bool IsBusy { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var process = Process.GetCurrentProcess();
        var last = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            process.Refresh();
            var now = process.TotalProcessorTime;
            var elapsed = watch.Elapsed;
            Percent = (now - last).TotalMilliseconds / elapsed.TotalMilliseconds * 100;
            var demand = Demand(elapsed);
            BusiestThread = demand.Count > 0 ? demand.Values.Max() : 0;
            IsBusy = (Percent > 80 && _previousPercent > 80)
                     || demand.Any(d => d.Value > 0.8 && _previousDemand.GetValueOrDefault(d.Key) > 0.8);
            _previousPercent = Percent;
            _previousDemand = demand;
            last = now;
            watch.Restart();
        }
    }

    /// <summary>Per thread: the share of the interval it was running or waiting to run.</summary>
    private Dictionary<string, double> Demand(TimeSpan elapsed)
    {
        var current = new Dictionary<string, long>();
        var demand = new Dictionary<string, double>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
            {
                // "run_ns wait_ns slices": time on a core plus time waiting in the run queue.
                var fields = File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ');
                if (fields.Length < 2 || !long.TryParse(fields[0], CultureInfo.InvariantCulture, out var run)
                    || !long.TryParse(fields[1], CultureInfo.InvariantCulture, out var wait))
                {
                    continue;
                }

                var tid = Path.GetFileName(task);
                current[tid] = run + wait;
                if (_last.TryGetValue(tid, out var before))
                {
                    demand[tid] = (run + wait - before) / (elapsed.TotalMilliseconds * 1_000_000);
                }
            }
        }
        catch (IOException)
        {
            // A thread ended while we read; the next second counts again.
        }

        _last = current;
        return demand;
    }
}
