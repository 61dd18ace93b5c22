using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Portal.Probes.Contract;

namespace Portal.Probes.Probes.Host;

/// <summary>
/// <c>grep -n -B/-A PATTERN LOG</c> over the target's own log files only, bounded on huge files (the
/// last max_bytes are searched, and it says how much that was), optionally followed like
/// <c>tail -f | grep</c> through growth, truncation and rotation. A regular expression runs with a
/// match timeout, so a pathological pattern cannot hang the portal.
/// </summary>
public sealed class LogSearchProbe : IProbe
{
    private const int MaxLineBytes = 64 * 1024;
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    private readonly IHostAccessProvider _hosts;

    public LogSearchProbe()
        : this(HostAccessProvider.Default)
    {
    }

    public LogSearchProbe(IHostAccessProvider hosts) => _hosts = hosts;

    internal LogSearchProbe(HostAccess host)
        : this(HostAccessProvider.Fixed(host))
    {
    }

    public ProbeDescriptor Descriptor { get; } = new(
        Kind: "log.search",
        Title: "Log search",
        TitleZh: "日志搜索",
        Description: "Finds lines matching a pattern, with line numbers and context, in one of the target's log files, searching from the tail on huge files, optionally following new lines.",
        TargetKinds: [TargetKind.Host, TargetKind.Http, TargetKind.Postgres, TargetKind.Redis, TargetKind.Prometheus],
        Parameters:
        [
            new ProbeParameter("path", ParameterType.String, "A log file of the target; defaults to its first.", Pattern: HostPaths.PathPattern, MaxLength: 512),
            new ProbeParameter("pattern", ParameterType.String, "What to look for.", Required: true, MaxLength: 256),
            new ProbeParameter("mode", ParameterType.Choice, "regex: a .NET regular expression; literal: the exact text.", Default: "regex", Choices: ["regex", "literal"]),
            new ProbeParameter("ignore_case", ParameterType.Boolean, "Match regardless of case.", Default: "false"),
            new ProbeParameter("before", ParameterType.Integer, "Lines of context before each match.", Default: "2", Min: 0, Max: 10),
            new ProbeParameter("after", ParameterType.Integer, "Lines of context after each match.", Default: "2", Min: 0, Max: 10),
            new ProbeParameter("max_matches", ParameterType.Integer, "Show at most this many (the newest) match groups; all are counted.", Default: "50", Min: 1, Max: 1000),
            new ProbeParameter("max_bytes", ParameterType.Integer, "Search at most this many bytes from the end of the file.", Default: "67108864", Min: 1024, Max: 1073741824),
            new ProbeParameter("follow_seconds", ParameterType.Integer, "Then follow new lines this long (0: do not follow); stopping the run ends it sooner.", Default: "0", Min: 0, Max: 3600),
        ],
        DefaultTimeout: TimeSpan.FromSeconds(60),
        MaxTimeout: TimeSpan.FromMinutes(61),
        Follows: true);

    public async IAsyncEnumerable<ProbeEvent> RunAsync(ProbeRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        var target = request.Target;
        using var lease = await _hosts.AcquireAsync(target, mustBeHere: true, ct);
        if (lease.Access is not { } host)
        {
            foreach (var refusedEvent in lease.RefusalEvents("Cannot search logs"))
            {
                yield return refusedEvent;
            }

            yield break;
        }

        var path = request.GetOptional("path") ?? (target.LogPaths.Count > 0 ? target.LogPaths[0] : null);
        if (path is null)
        {
            yield return new Verdict(VerdictStatus.Error, $"Target '{target.Name}' lists no log files to search.");
            yield break;
        }

        var allowed = HostPaths.AllowedLogFiles(host.Files, target);
        var check = HostPaths.CheckFile(host.Files, path, target, allowed.Contains, "log files");
        if (check.Refusal is { } refusal)
        {
            yield return new Finding("log.error", "refused_by_policy");
            yield return new Verdict(VerdictStatus.Error, $"Refused: {refusal}.");
            yield break;
        }

        if (check.Resolved is not { } file)
        {
            yield return new Finding("log.error", "not_found");
            yield return new Verdict(VerdictStatus.Fail, $"{path} does not exist: the service does not log where the inventory says (or has never written a line).");
            yield break;
        }

        var (regex, patternError) = Compile(request);
        if (regex is null)
        {
            yield return new Verdict(VerdictStatus.Error, $"The pattern is not a valid regular expression: {patternError}");
            yield break;
        }

        var scanner = new LogScanner(regex, request.GetInt("before"), request.GetInt("after"), request.GetInt("max_matches"));
        var maxBytes = long.Parse(request.Get("max_bytes"), System.Globalization.CultureInfo.InvariantCulture);
        yield return new OutputLine($"Searching {file} for {(request.Get("mode") == "literal" ? "the text" : "the pattern")} {Quote(request.Get("pattern"))}…", OutputStream.Info);

        var watch = Stopwatch.StartNew();
        var search = await SearchAsync(host, file, scanner, maxBytes, ct);
        if (ct.IsCancellationRequested)
        {
            yield break;
        }

        if (search.Error is { } error)
        {
            yield return new Finding("log.error", search.ErrorCode!);
            yield return search.ErrorCode == "pattern_timeout"
                ? new Verdict(VerdictStatus.Error, error)
                : new Verdict(VerdictStatus.Fail, error);
            yield break;
        }

        yield return new Metric("search_ms", watch.Elapsed.TotalMilliseconds, "ms");
        yield return new Metric("searched_bytes", search.Searched, "bytes");
        var windowed = search.From > 0;
        yield return new OutputLine(windowed
            ? $"{file} is {Size(search.Length)}; searched its last {Size(search.Searched)} (from byte {search.From}); line numbers count from there."
            : $"{file}: {Size(search.Length)}, {search.Lines} lines searched in {ProbeText.Ms(watch.Elapsed)}.", OutputStream.Info);

        foreach (var line in Render(scanner))
        {
            yield return line;
        }

        yield return new Finding("log.searched_bytes", ProbeText.Number(search.Searched));
        yield return new Finding("log.file_bytes", ProbeText.Number(search.Length));
        yield return new Finding("log.line_numbers", windowed ? "relative" : "absolute");

        var followFor = TimeSpan.FromSeconds(request.GetInt("follow_seconds"));
        if (followFor > TimeSpan.Zero)
        {
            yield return new Finding("log.matches", ProbeText.Number(scanner.Matches));
            yield return new OutputLine($"Following {file} for new lines…", OutputStream.Info);
            var position = search.Length;
            var lineNo = search.Lines;
            var until = Stopwatch.StartNew();
            while (until.Elapsed < followFor)
            {
                if (!await DelayAsync(PollInterval, ct))
                {
                    yield break; // stopped: the runner records it
                }

                var poll = await PollAsync(host, file, position, lineNo, scanner, ct);
                if (ct.IsCancellationRequested)
                {
                    yield break;
                }

                if (poll.Reset)
                {
                    yield return new OutputLine($"{file} was truncated or rotated; reading it from the start.", OutputStream.Info);
                }

                position = poll.Position;
                lineNo = poll.LineNo;
                foreach (var (line, text) in poll.Matches)
                {
                    yield return new OutputLine($"{line}: {text}");
                    yield return new Finding("log.last_match", text);
                }

                if (poll.Error is { } pollError)
                {
                    yield return new OutputLine(pollError, OutputStream.Stderr);
                }
            }
        }

        yield return new Finding("log.matches", ProbeText.Number(scanner.Matches));
        if (scanner.LastMatch is { } last)
        {
            yield return new Finding("log.last_match", last.Text);
        }

        yield return new Verdict(VerdictStatus.Pass, scanner.LastMatch is not { } newest
            ? $"No line of {file} matches{(windowed ? $" in its last {Size(search.Searched)}" : string.Empty)}."
            : $"{scanner.Matches} matching lines in {file}{(windowed ? $" (last {Size(search.Searched)})" : string.Empty)}; the last: {newest.Text}");
    }

    private static (Regex? Regex, string? Error) Compile(ProbeRequest request)
    {
        var pattern = request.Get("pattern");
        var options = RegexOptions.CultureInvariant | (request.GetBool("ignore_case") ? RegexOptions.IgnoreCase : RegexOptions.None);
        try
        {
            return (new Regex(request.Get("mode") == "literal" ? Regex.Escape(pattern) : pattern, options, MatchTimeout), null);
        }
        catch (ArgumentException ex)
        {
            return (null, ex.Message);
        }
    }

    private static IEnumerable<OutputLine> Render(LogScanner scanner)
    {
        if (scanner.DroppedBlocks > 0)
        {
            yield return new OutputLine($"({scanner.DroppedBlocks} earlier match groups not shown; the newest follow)", OutputStream.Info);
        }

        var first = true;
        foreach (var block in scanner.Blocks)
        {
            if (!first)
            {
                yield return new OutputLine("--");
            }

            first = false;
            foreach (var (line, text, isMatch) in block.Lines)
            {
                yield return new OutputLine($"{line}{(isMatch ? ':' : '-')} {text}");
            }
        }
    }

    private static async Task<SearchResult> SearchAsync(HostAccess host, string file, LogScanner scanner, long maxBytes, CancellationToken ct)
    {
        try
        {
            await using var stream = host.Files.OpenRead(file);
            var length = stream.Length;
            var from = Math.Max(0, length - maxBytes);
            long lines = 0;
            var window = length - from; // what is examined, including the partial line skipped at its start
            if (from > 0)
            {
                // Start at a line boundary: skip the partial line the window cuts into.
                stream.Seek(from - 1, SeekOrigin.Begin);
                var skipped = await SkipPartialLineAsync(stream, length - from + 1, ct);
                from += skipped - 1;
            }

            stream.Seek(from, SeekOrigin.Begin);
            await Task.Run(() => LogScanner.ReadLinesAsync(stream, length - from, text => scanner.Feed(++lines, text), MaxLineBytes, ct), ct);
            scanner.Close();
            return new SearchResult(length, from, window, lines, null, null);
        }
        catch (RegexMatchTimeoutException)
        {
            return SearchResult.Failed("pattern_timeout", $"The pattern took longer than {MatchTimeout.TotalMilliseconds} ms on one line; simplify it (nested repetition such as (a+)+ backtracks without end).");
        }
        catch (UnauthorizedAccessException)
        {
            return SearchResult.Failed("permission_denied", $"{file} exists but the portal may not read it (permission denied).");
        }
        catch (OperationCanceledException)
        {
            return SearchResult.Failed("cancelled", "cancelled");
        }
        catch (IOException ex)
        {
            return SearchResult.Failed("io_error", $"Reading {file} failed: {ex.Message}");
        }
    }

    /// <returns>Bytes up to and including the first newline (or all of them when there is none).</returns>
    private static async Task<long> SkipPartialLineAsync(Stream stream, long limit, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        long read = 0;
        while (read < limit)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, limit - read)), ct);
            if (n == 0)
            {
                break;
            }

            var newline = Array.IndexOf(buffer, (byte)'\n', 0, n);
            if (newline >= 0)
            {
                return read + newline + 1;
            }

            read += n;
        }

        return read;
    }

    private static async Task<PollResult> PollAsync(HostAccess host, string file, long position, long lineNo, LogScanner scanner, CancellationToken ct)
    {
        var matches = new List<(long, string)>();
        try
        {
            await using var stream = host.Files.OpenRead(file);
            var length = stream.Length;
            var reset = length < position;
            if (reset)
            {
                position = 0;
                lineNo = 0;
            }

            if (length == position)
            {
                return new PollResult(position, lineNo, reset, matches, null);
            }

            stream.Seek(position, SeekOrigin.Begin);
            var consumed = await LogScanner.ReadLinesAsync(
                stream,
                length - position,
                text =>
                {
                    lineNo++;
                    if (scanner.Feed(lineNo, text))
                    {
                        matches.Add(scanner.LastMatch!.Value);
                    }
                },
                MaxLineBytes,
                ct);
            scanner.Close();
            return new PollResult(position + consumed, lineNo, reset, matches, null);
        }
        catch (RegexMatchTimeoutException)
        {
            return new PollResult(position, lineNo, false, matches, "the pattern timed out on a new line; it was skipped");
        }
        catch (FileNotFoundException)
        {
            return new PollResult(0, 0, false, matches, null); // between rotation's rename and the new file: wait for it
        }
        catch (OperationCanceledException)
        {
            return new PollResult(position, lineNo, false, matches, null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new PollResult(position, lineNo, false, matches, $"reading {file} failed: {ex.Message}");
        }
    }

    private static async Task<bool> DelayAsync(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, ct);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static string Quote(string pattern) => "\"" + (pattern.Length <= 100 ? pattern : pattern[..100] + "…") + "\"";

    internal static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => ProbeText.Number(Math.Round(bytes / (double)(1L << 30), 2)) + " GB",
        >= 1L << 20 => ProbeText.Number(Math.Round(bytes / (double)(1L << 20), 1)) + " MB",
        >= 1L << 10 => ProbeText.Number(Math.Round(bytes / 1024.0, 1)) + " KB",
        _ => ProbeText.Number(bytes) + " B",
    };

    private sealed record SearchResult(long Length, long From, long Searched, long Lines, string? ErrorCode, string? Error)
    {
        public static SearchResult Failed(string code, string error) => new(0, 0, 0, 0, code, error);
    }

    private sealed record PollResult(long Position, long LineNo, bool Reset, List<(long Line, string Text)> Matches, string? Error);
}
