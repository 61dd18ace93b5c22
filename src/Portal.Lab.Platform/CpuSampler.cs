using System.Diagnostics;

namespace Portal.Lab.Platform;

/// <summary>This process's CPU use over the last second, in % of one core, sampled in the background for /health.</summary>
public sealed class CpuSampler : BackgroundService
{
    public double Percent { get; private set; }

    /// <summary>The guide's threshold: over 80 %.</summary>
    public bool IsBusy => Percent > 80;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var process = Process.GetCurrentProcess();
        var last = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            process.Refresh();
            var now = process.TotalProcessorTime;
            Percent = (now - last).TotalMilliseconds / watch.Elapsed.TotalMilliseconds * 100;
            last = now;
            watch.Restart();
        }
    }
}
