using System.Diagnostics;
using System.Runtime.CompilerServices;
using Portal.Probes.Contract;

namespace Portal.Probes.Probes.Host;

/// <summary>
/// <c>journalctl -u UNIT -n N -f</c>: the last lines of a unit's journal, then new ones as they come,
/// for follow_seconds (or until stopped). Lines that show a permission error, a refused connection,
/// a configuration error or an out-of-memory kill become findings (journal.match.*) with the first
/// such line. Where journald is not available it says so instead of waiting for nothing.
/// </summary>
public sealed class JournalTailProbe : IProbe
{
    private readonly IHostAccessProvider _hosts;

    public JournalTailProbe()
        : this(HostAccessProvider.Default)
    {
    }

    public JournalTailProbe(IHostAccessProvider hosts) => _hosts = hosts;

    internal JournalTailProbe(HostAccess host)
        : this(HostAccessProvider.Fixed(host))
    {
    }

    public ProbeDescriptor Descriptor { get; } = new(
        Kind: "journal.tail",
        Title: "Service journal",
        TitleZh: "服务日志（journalctl）",
        Description: "Shows the last lines of a systemd unit's journal, then follows new lines, flagging permission, connection, configuration and out-of-memory errors.",
        TargetKinds: [TargetKind.Host, TargetKind.Http, TargetKind.Postgres, TargetKind.Redis, TargetKind.Prometheus],
        Parameters:
        [
            new ProbeParameter("unit", ParameterType.String, "The unit, e.g. platform-api; must be one of the target's units when it lists any.", Required: true, Pattern: Systemd.UnitPattern, MaxLength: 128),
            new ProbeParameter("lines", ParameterType.Integer, "How many past lines to show first.", Default: "100", Min: 1, Max: 10000),
            new ProbeParameter("follow_seconds", ParameterType.Integer, "Keep following new lines this long (0: do not follow); stopping the run ends it sooner.", Default: "15", Min: 0, Max: 3600),
        ],
        DefaultTimeout: TimeSpan.FromSeconds(60),
        MaxTimeout: TimeSpan.FromMinutes(61),
        Follows: true);

    public async IAsyncEnumerable<ProbeEvent> RunAsync(ProbeRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        var unit = request.Get("unit");
        using var lease = await _hosts.AcquireAsync(request.Target, mustBeHere: true, ct);
        if (lease.Access is not { } host)
        {
            foreach (var refusal in lease.RefusalEvents($"Cannot read the journal of {unit}"))
            {
                yield return refusal;
            }

            yield break;
        }

        if (Systemd.WhyNotAllowed(unit, request.Target) is { } refused)
        {
            yield return new Verdict(VerdictStatus.Error, $"Cannot read the journal of {unit}: {refused}.");
            yield break;
        }

        if (host.Commands.Find("journalctl") is null || !Systemd.IsRunning(host.Files))
        {
            yield return new Finding("journal.available", "false");
            yield return new OutputLine(host.Commands.Find("journalctl") is null
                ? "journalctl is not installed on this machine."
                : "/run/systemd/system does not exist: systemd (and its journal) is not running on this machine.", OutputStream.Stderr);
            yield return new Verdict(VerdictStatus.Error, "journald is not available here; read the service's log files instead (log.search).");
            yield break;
        }

        yield return new Finding("journal.available", "true");
        var followFor = TimeSpan.FromSeconds(request.GetInt("follow_seconds"));
        List<string> arguments = ["-u", unit, "-n", request.Get("lines"), "--no-pager", "-o", "short-iso"];
        if (followFor > TimeSpan.Zero)
        {
            arguments.Add("-f");
        }

        var (running, startError) = Start(host, arguments);
        if (running is null)
        {
            yield return new Verdict(VerdictStatus.Error, $"journalctl did not start: {startError}");
            yield break;
        }


        var patterns = new LogPatterns();
        var count = 0;
        var watch = Stopwatch.StartNew();
        await using (running)
        {
            yield return new OutputLine($"journalctl {string.Join(' ', arguments)} (pid {running.ProcessId})", OutputStream.Info);
            using var follow = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (followFor > TimeSpan.Zero)
            {
                follow.CancelAfter(followFor);
            }

            while (await running.ReadLineAsync(follow.Token) is { } line)
            {
                count++;
                yield return new OutputLine(LogPatterns.Truncate(line));
                foreach (var (name, first) in patterns.Scan(line))
                {
                    yield return new Finding($"journal.match.{name}", first);
                }
            }

            if (ct.IsCancellationRequested)
            {
                yield break; // stopped by the user or the time limit: the runner records it.
            }

            var exit = followFor > TimeSpan.Zero ? 0 : await running.WaitAsync(TimeSpan.FromSeconds(5));
            if (exit is not 0 && count == 0)
            {
                yield return new Verdict(VerdictStatus.Error, $"journalctl failed: {LogPatterns.Truncate(running.Stderr.Trim())}");
                yield break;
            }
        }

        yield return new Metric("read_ms", watch.Elapsed.TotalMilliseconds, "ms");
        yield return new Finding("journal.lines", ProbeText.Number(count));
        if (patterns.First.Count == 0)
        {
            yield return new Verdict(VerdictStatus.Pass, $"{count} journal lines of {unit}; no permission, connection, configuration or memory errors among them.");
        }
        else
        {
            yield return new Verdict(VerdictStatus.Warn, $"The journal of {unit} shows {string.Join(", ", patterns.First.Keys.Select(k => k.Replace('_', ' ')))} errors; first: {patterns.First.Values.First()}");
        }
    }

    private static (IRunningCommand? Running, string? Error) Start(HostAccess host, IReadOnlyList<string> arguments)
    {
        try
        {
            return (host.Commands.Start("journalctl", arguments), null);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return (null, ex.Message);
        }
    }
}
