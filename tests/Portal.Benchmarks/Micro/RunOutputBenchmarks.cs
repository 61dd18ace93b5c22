using BenchmarkDotNet.Attributes;
using Portal.Probes.Contract;
using Portal.Web.Runs;

namespace Portal.Benchmarks.Micro;

/// <summary>
/// Output buffering: lines through <see cref="RunOutput"/> (stamp, redact, limit) into the run's
/// <see cref="RunFeed"/> ring, and a viewer reading a batch back out of the ring.
/// </summary>
[MemoryDiagnoser]
public class RunOutputBenchmarks
{
    private const int Lines = 1_000;
    private readonly OutputLine[] _lines = [.. Enumerable.Range(1, Lines).Select(i => new OutputLine($"line {i}: request handled in {i % 97} ms"))];
    private readonly RunnerOptions _options = new();
    private readonly Redactor _redactor = new(["s3cr3t-Passw0rd"]);
    private RunFeed _fullFeed = null!;

    [GlobalSetup]
    public void Setup()
    {
        _fullFeed = new RunFeed(Guid.NewGuid());
        for (var i = 1; i <= RunFeed.DefaultCapacity; i++)
        {
            _fullFeed.Append(new RunEvent(_fullFeed.RunId, i, DateTimeOffset.UtcNow, RunEventTypes.Output, Text: "x", Stream: "stdout"));
        }
    }

    [Benchmark(OperationsPerInvoke = Lines, Description = "RunOutput.Add: one output line into feed + persist channel")]
    public long AddLines()
    {
        var feed = new RunFeed(Guid.NewGuid());
        var output = new RunOutput(feed.RunId, feed, _redactor, _options);
        foreach (var line in _lines)
        {
            output.Add(line);
        }

        return feed.LastSeq;
    }

    [Benchmark(Description = "RunFeed.ReadAfter: a 1,000-event batch for a viewer")]
    public int ReadBatch() => _fullFeed.ReadAfter(RunFeed.DefaultCapacity - 1_000).Count;
}
