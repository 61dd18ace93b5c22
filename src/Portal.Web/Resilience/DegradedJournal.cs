using System.Text;
using System.Text.Json;

namespace Portal.Web.Resilience;

/// <summary>One journaled write: an idempotency key, when it happened, what kind, and its data.</summary>
public sealed record JournalEntry(Guid Key, DateTimeOffset At, string Kind, JsonElement Data);

/// <summary>
/// Writes that could not reach the database, in an append-only file (one JSON object per line), each
/// flushed to disk before the caller is told it is kept. <see cref="JournalReplayer"/> replays them in
/// order when the database is back; the key of each makes the replay exactly-once even across a crash.
/// </summary>
public sealed class DegradedJournal
{
    private static readonly JsonSerializerOptions Json = JsonSerializerOptions.Web;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string _path;
    private readonly PortalDegradedState _state;
    private readonly TimeProvider _time;
    private readonly ILogger<DegradedJournal> _logger;

    public DegradedJournal(ResilienceOptions options, PortalDegradedState state, TimeProvider time, ILogger<DegradedJournal> logger)
    {
        _path = options.JournalPath;
        _state = state;
        _time = time;
        _logger = logger;
        Directory.CreateDirectory(options.DataPath);
        _state.SetPending(ReadAllUnlocked().Count);
    }

    /// <summary>Appends an entry and flushes it to disk; returns its key.</summary>
    public async Task<Guid> AppendAsync(string kind, object data, CancellationToken ct = default)
    {
        var entry = new JournalEntry(Guid.CreateVersion7(), _time.GetUtcNow(), kind, JsonSerializer.SerializeToElement(data, data.GetType(), Json));
        var line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(entry, Json) + "\n");
        await _gate.WaitAsync(ct);
        try
        {
            await using var file = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read, 4096, FileOptions.None);
            await file.WriteAsync(line, ct);
            file.Flush(flushToDisk: true);
            _state.SetPending(_state.PendingJournalEntries + 1);
        }
        finally
        {
            _gate.Release();
        }

        _logger.LogWarning("Database unreachable: {Kind} kept in the local journal ({Key})", kind, entry.Key);
        return entry.Key;
    }

    /// <summary>
    /// Hands every entry, in order, to <paramref name="apply"/> while no new entry can be appended, then empties
    /// the journal. When <paramref name="apply"/> throws, the journal is left as it was (keys make a retry safe).
    /// </summary>
    public async Task<int> DrainAsync(Func<JournalEntry, CancellationToken, Task> apply, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var entries = ReadAllUnlocked();
            foreach (var entry in entries)
            {
                await apply(entry, ct);
            }

            if (entries.Count > 0)
            {
                await using (var file = new FileStream(_path, FileMode.Truncate, FileAccess.Write, FileShare.Read))
                {
                    file.Flush(flushToDisk: true);
                }
            }

            _state.SetPending(0);
            return entries.Count;
        }
        finally
        {
            _gate.Release();
        }
    }

    public int Count => _state.PendingJournalEntries;

    private List<JournalEntry> ReadAllUnlocked()
    {
        var entries = new List<JournalEntry>();
        if (!File.Exists(_path))
        {
            return entries;
        }

        foreach (var line in File.ReadLines(_path))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                entries.Add(JsonSerializer.Deserialize<JournalEntry>(line, Json)!);
            }
            catch (JsonException)
            {
                // A line torn by a crash mid-write: its caller was never told it was kept.
                _logger.LogWarning("Skipping a torn journal line ({Length} bytes)", line.Length);
            }
        }

        return entries;
    }
}
