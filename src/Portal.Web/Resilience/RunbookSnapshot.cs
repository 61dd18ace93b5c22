using System.Text.Json;
using Dapper;
using Npgsql;
using Portal.Runbooks.Model;
using Portal.Runbooks.Storage;

namespace Portal.Web.Resilience;

/// <summary>What the snapshot file holds: the catalog, the current versions, and the versions open incidents are pinned to.</summary>
public sealed record RunbookSnapshotData(
    DateTimeOffset TakenAt, IReadOnlyList<Category> Categories, IReadOnlyList<RunbookVersion> Current, IReadOnlyList<RunbookVersion> Pinned);

/// <summary>
/// A local, read-only copy of the runbooks (Portal:DataPath/runbook-snapshot.json), refreshed while the
/// database is up, so pages keep working when it is down — even after a restart during the outage.
/// Written to a temporary file, flushed, then renamed over the old one: a crash leaves the old or the new, never half.
/// </summary>
public sealed class RunbookSnapshot
{
    private readonly NpgsqlDataSource _db;
    private readonly RunbookStore _store;
    private readonly string _path;
    private readonly ILogger<RunbookSnapshot> _logger;
    private string _written = "";

    public RunbookSnapshot(NpgsqlDataSource db, RunbookStore store, ResilienceOptions options, ILogger<RunbookSnapshot> logger)
    {
        _db = db;
        _store = store;
        _path = options.SnapshotPath;
        _logger = logger;
        Directory.CreateDirectory(options.DataPath);
        try
        {
            if (File.Exists(_path))
            {
                _written = File.ReadAllText(_path);
                Data = RunbookJson.Deserialize<RunbookSnapshotData>(_written);
            }
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            _logger.LogWarning(ex, "The runbook snapshot {Path} cannot be read; a new one is written when the database answers", _path);
        }
    }

    /// <summary>The newest snapshot; null before the first one was taken.</summary>
    public RunbookSnapshotData? Data { get; private set; }

    /// <summary>Reads the runbooks from the database and rewrites the file when anything changed.</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        var categories = await _store.ListCategoriesAsync(ct);
        var current = await _store.ListCurrentAsync(includeArchived: true, ct);
        const string sql = "SELECT DISTINCT runbook_slug AS Slug, runbook_version AS Version FROM incidents WHERE status = 'open'";
        IEnumerable<(string Slug, int Version)> pins;
        await using (var connection = await _db.OpenConnectionAsync(ct))
        {
            pins = await connection.QueryAsync<(string Slug, int Version)>(new CommandDefinition(sql, cancellationToken: ct));
        }

        var pinned = new List<RunbookVersion>();
        foreach (var (slug, version) in pins.Where(p => !current.Any(c => c.Slug == p.Slug && c.Version == p.Version)))
        {
            if (await _store.GetVersionAsync(slug, version, ct) is { } v)
            {
                pinned.Add(v);
            }
        }

        var data = new RunbookSnapshotData(DateTimeOffset.UtcNow, categories, current, pinned);
        var json = RunbookJson.Serialize(data with { TakenAt = default });
        Data = data;
        if (json == _written)
        {
            return;
        }

        var temp = _path + ".tmp";
        await using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            await file.WriteAsync(System.Text.Encoding.UTF8.GetBytes(json), ct);
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, _path, overwrite: true);
        _written = json;
        _logger.LogInformation("Runbook snapshot written: {Count} runbooks, {Pinned} pinned versions", current.Count, pinned.Count);
    }
}
