namespace Portal.Probes.Contract;

/// <summary>
/// One diagnostic. A probe streams what it sees and ends with exactly one <see cref="Verdict"/>.
/// It never throws to its caller: a failure of the target is a Fail verdict with a classified
/// finding; a failure of the probe itself is an Error verdict. Sequence numbers, time limits,
/// output limits and redaction are the runner's job, not the probe's.
/// </summary>
public interface IProbe
{
    ProbeDescriptor Descriptor { get; }

    /// <param name="request">Validated parameters (defaults applied) and the resolved target.</param>
    /// <param name="ct">Cancelled when the user stops the run or its time limit passes; the probe stops promptly.</param>
    IAsyncEnumerable<ProbeEvent> RunAsync(ProbeRequest request, CancellationToken ct);
}
