namespace Portal.Web.Runs;

/// <summary>Limits of the runner ("Portal:Runner" section), validated at start-up.</summary>
public sealed class RunnerOptions
{
    /// <summary>Output lines kept from the start of a run.</summary>
    public int HeadLines { get; set; } = 20_000;

    /// <summary>Output lines kept from the end once the head is full.</summary>
    public int TailLines { get; set; } = 2_000;

    /// <summary>Longer lines are cut, saying how much.</summary>
    public int MaxLineLength { get; set; } = 4_096;

    /// <summary>Events kept in memory per live run for viewers; older ones are read back from the database.</summary>
    public int FeedCapacity { get; set; } = RunFeed.DefaultCapacity;

    public int PersistBatchSize { get; set; } = 500;

    public TimeSpan PersistInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long a finished run's feed stays in memory for late viewers.</summary>
    public TimeSpan FinishedFeedRetention { get; set; } = TimeSpan.FromMinutes(5);

    public IEnumerable<string> Validate()
    {
        if (HeadLines < 100)
        {
            yield return "Portal:Runner:HeadLines must be at least 100.";
        }

        if (TailLines < 10)
        {
            yield return "Portal:Runner:TailLines must be at least 10.";
        }

        if (FeedCapacity < 1_000)
        {
            yield return "Portal:Runner:FeedCapacity must be at least 1000.";
        }

        if (MaxLineLength < 80)
        {
            yield return "Portal:Runner:MaxLineLength must be at least 80.";
        }
    }
}
