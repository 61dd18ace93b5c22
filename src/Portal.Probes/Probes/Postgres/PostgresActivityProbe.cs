using System.Globalization;
using System.Runtime.CompilerServices;
using Npgsql;
using Portal.Probes.Contract;

namespace Portal.Probes.Probes.Postgres;

/// <summary>
/// <c>SELECT count(*) FROM pg_stat_activity</c>, made useful: connections against
/// max_connections, by state, application and client, the longest-running queries and who
/// waits on whose lock.
/// </summary>
public sealed class PostgresActivityProbe : IProbe
{
    public const double WarnPct = 80;
    public const double FailPct = 95;

    public ProbeDescriptor Descriptor { get; } = new(
        Kind: "postgres.activity",
        Title: "PostgreSQL connections and activity",
        TitleZh: "PostgreSQL 连接与活动",
        Description: "Reports connections against max_connections, by state, application and client, the longest-running queries and lock waits.",
        TargetKinds: PgParameters.Targets,
        Parameters:
        [
            PgParameters.Database,
            new ProbeParameter("top", ParameterType.Integer, "How many of the longest-running queries to list.", Default: "5", Min: 1, Max: 50),
            PgParameters.ConnectTimeout,
            PgParameters.CommandTimeout,
        ],
        DefaultTimeout: TimeSpan.FromSeconds(20),
        MaxTimeout: TimeSpan.FromSeconds(120));

    /// <summary>Pass below 80 %, Warn from 80 %, Fail from 95 % of max_connections.</summary>
    public static VerdictStatus Judge(double usedPct) => usedPct >= FailPct ? VerdictStatus.Fail : usedPct >= WarnPct ? VerdictStatus.Warn : VerdictStatus.Pass;

    public async IAsyncEnumerable<ProbeEvent> RunAsync(ProbeRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        if (PgSettings.From(request) is not { } settings)
        {
            yield return new Verdict(VerdictStatus.Error, $"Target '{request.Target.Name}' has no host, port or user to connect with.");
            yield break;
        }

        await using var session = await PgSession.OpenAsync(request, settings, ct);
        foreach (var e in session.Events)
        {
            yield return e;
        }

        if (session.Connection is null)
        {
            yield break;
        }

        var (snapshot, failure) = await session.TryAsync((c, t) => ReadAsync(c, request.GetInt("top"), t), ct);
        if (snapshot is null)
        {
            foreach (var e in PgText.QueryFailed(failure!, "pg_stat_activity"))
            {
                yield return e;
            }

            yield break;
        }

        foreach (var e in Report(snapshot, settings.Database))
        {
            yield return e;
        }
    }

    private static IEnumerable<ProbeEvent> Report(Snapshot s, string database)
    {
        var pct = s.MaxConnections > 0 ? Math.Round(100.0 * s.Total / s.MaxConnections, 1) : 0;
        yield return new OutputLine($"connections {s.Total} of max_connections {s.MaxConnections} ({ProbeText.Number(pct)} %); " +
                                    $"{s.Reserved} reserved for superusers; {s.AllBackends} backends in all (with background workers)");
        yield return new Finding("pg.connections.total", ProbeText.Number(s.Total));
        yield return new Finding("pg.connections.max", ProbeText.Number(s.MaxConnections));
        yield return new Finding("pg.connections.used_pct", ProbeText.Number(pct));
        yield return new Finding("pg.connections.reserved", ProbeText.Number(s.Reserved));
        yield return new Finding("pg.connections.backends", ProbeText.Number(s.AllBackends));
        yield return new Finding("pg.connections.database", ProbeText.Number(s.InDatabase));
        yield return new Metric("connections", s.Total, "count");
        yield return new Metric("connections_used_pct", pct, "%");

        yield return new OutputLine("by state: " + string.Join(", ", s.ByState.Select(x => $"{x.Key} {x.Value}")));
        foreach (var state in new[] { "active", "idle", "idle in transaction", "idle in transaction (aborted)" })
        {
            yield return new Finding("pg.connections." + StateKey(state), ProbeText.Number(s.ByState.GetValueOrDefault(state)));
        }

        yield return new OutputLine($"in database {database}: {s.InDatabase} (" +
                                    string.Join(", ", s.ByStateInDatabase.Select(x => $"{x.Key} {x.Value}")) + ")");
        foreach (var state in new[] { "active", "idle", "idle in transaction" })
        {
            yield return new Finding($"pg.connections.database.{StateKey(state)}", ProbeText.Number(s.ByStateInDatabase.GetValueOrDefault(state)));
        }

        yield return new OutputLine("by application: " + string.Join(", ", s.ByApplication.Select(x => $"{x.Name} {x.Count}")));
        yield return new OutputLine("by client: " + string.Join(", ", s.ByClient.Select(x => $"{x.Name} {x.Count}")));

        yield return new OutputLine(s.Longest.Count == 0 ? "no queries running or transactions open" : "longest-running:");
        foreach (var q in s.Longest)
        {
            yield return new OutputLine($"  pid {q.Pid} {q.User}@{q.Database} {q.State} {PgText.Seconds(q.Seconds)} [{q.Application}] {PgText.Query(q.Query)}");
        }

        if (s.Longest.Count > 0)
        {
            yield return new Finding("pg.activity.longest_s", ProbeText.Number(Math.Round(s.Longest[0].Seconds, 3)));
        }

        yield return new Finding("pg.locks.waiting", ProbeText.Number(s.Waits.Select(w => w.Pid).Distinct().Count()));
        foreach (var w in s.Waits)
        {
            yield return new OutputLine($"lock wait: pid {w.Pid} ({w.User}, {w.Application}) waits {PgText.Seconds(w.Seconds)} on pid {w.BlockerPid} " +
                                        $"({w.BlockerUser}, {w.BlockerState}): {PgText.Query(w.Query)} ← {PgText.Query(w.BlockerQuery)}", OutputStream.Stderr);
        }

        if (s.Waits.Count > 0)
        {
            yield return new Finding("pg.locks.blockers", string.Join(',', s.Waits.Select(w => w.BlockerPid).Distinct().Select(p => ProbeText.Number(p))));
        }

        var status = Judge(pct);
        var locks = s.Waits.Count == 0 ? "" : $"; {s.Waits.Select(w => w.Pid).Distinct().Count()} waiting on locks held by pid {string.Join(", ", s.Waits.Select(w => w.BlockerPid).Distinct())}";
        yield return new Verdict(status, status switch
        {
            VerdictStatus.Fail => $"{s.Total} of {s.MaxConnections} connections in use ({ProbeText.Number(pct)} %): the server is about to refuse new connections; find the application holding them{locks}.",
            VerdictStatus.Warn => $"{s.Total} of {s.MaxConnections} connections in use ({ProbeText.Number(pct)} %), above the 80 % warning line{locks}.",
            _ => $"{s.Total} of {s.MaxConnections} connections in use ({ProbeText.Number(pct)} %){locks}.",
        });
    }

    private static string StateKey(string state) => state switch
    {
        "idle in transaction" => "idle_in_transaction",
        "idle in transaction (aborted)" => "idle_in_transaction_aborted",
        _ => state.Replace(' ', '_'),
    };

    private sealed record Snapshot(
        long Total, long AllBackends, long InDatabase, int MaxConnections, int Reserved,
        Dictionary<string, long> ByState, Dictionary<string, long> ByStateInDatabase,
        List<(string Name, long Count)> ByApplication, List<(string Name, long Count)> ByClient,
        List<Running> Longest, List<LockWait> Waits);

    private sealed record Running(int Pid, string User, string Database, string State, string Application, double Seconds, string? Query);

    private sealed record LockWait(int Pid, string User, string Application, double Seconds, string? Query, int BlockerPid, string BlockerUser, string BlockerState, string? BlockerQuery);

    private static async Task<Snapshot> ReadAsync(NpgsqlConnection c, int top, CancellationToken ct)
    {
        const string counts = """
            SELECT count(*) FILTER (WHERE backend_type = 'client backend'),
                   count(*),
                   count(*) FILTER (WHERE backend_type = 'client backend' AND datname = current_database()),
                   current_setting('max_connections')::int,
                   current_setting('superuser_reserved_connections')::int
            FROM pg_stat_activity
            """;
        long total = 0, all = 0, inDb = 0;
        int max = 0, reserved = 0;
        await using (var cmd = new NpgsqlCommand(counts, c))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            await r.ReadAsync(ct);
            (total, all, inDb, max, reserved) = (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt32(3), r.GetInt32(4));
        }

        const string byState = """
            SELECT coalesce(state, 'unknown'), count(*), count(*) FILTER (WHERE datname = current_database())
            FROM pg_stat_activity WHERE backend_type = 'client backend'
            GROUP BY 1 ORDER BY 2 DESC
            """;
        var states = new Dictionary<string, long>(StringComparer.Ordinal);
        var statesInDb = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var cmd = new NpgsqlCommand(byState, c))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                states[r.GetString(0)] = r.GetInt64(1);
                if (r.GetInt64(2) > 0)
                {
                    statesInDb[r.GetString(0)] = r.GetInt64(2);
                }
            }
        }

        var apps = await GroupAsync(c, "coalesce(nullif(application_name, ''), '(none)')", ct);
        var clients = await GroupAsync(c, "coalesce(host(client_addr), '(local socket)')", ct);

        const string longest = """
            SELECT pid, coalesce(usename, ''), coalesce(datname, ''), state, coalesce(nullif(application_name, ''), '(none)'),
                   extract(epoch FROM now() - coalesce(CASE WHEN state = 'active' THEN query_start END, xact_start, query_start))::float8,
                   query
            FROM pg_stat_activity
            WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
              AND state IS NOT NULL AND state <> 'idle'
            ORDER BY 6 DESC NULLS LAST
            LIMIT @top
            """;
        var running = new List<Running>();
        await using (var cmd = new NpgsqlCommand(longest, c))
        {
            cmd.Parameters.AddWithValue("top", top);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                running.Add(new Running(r.GetInt32(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4),
                    r.IsDBNull(5) ? 0 : r.GetDouble(5), r.IsDBNull(6) ? null : r.GetString(6)));
            }
        }

        const string waits = """
            SELECT w.pid, coalesce(w.usename, ''), coalesce(nullif(w.application_name, ''), '(none)'),
                   coalesce(extract(epoch FROM now() - w.query_start)::float8, 0), w.query,
                   b.pid, coalesce(b.usename, ''), coalesce(b.state, ''), b.query
            FROM pg_stat_activity w
            CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS blocker(pid)
            JOIN pg_stat_activity b ON b.pid = blocker.pid
            WHERE w.wait_event_type = 'Lock'
            ORDER BY 4 DESC
            LIMIT 50
            """;
        var lockWaits = new List<LockWait>();
        await using (var cmd = new NpgsqlCommand(waits, c))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                lockWaits.Add(new LockWait(r.GetInt32(0), r.GetString(1), r.GetString(2), r.GetDouble(3), r.IsDBNull(4) ? null : r.GetString(4),
                    r.GetInt32(5), r.GetString(6), r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8)));
            }
        }

        return new Snapshot(total, all, inDb, max, reserved, states, statesInDb, apps, clients, running, lockWaits);
    }

    /// <param name="expression">A fixed SQL expression from this class, never user input.</param>
    private static async Task<List<(string, long)>> GroupAsync(NpgsqlConnection c, string expression, CancellationToken ct)
    {
        var sql = string.Create(CultureInfo.InvariantCulture,
            $"SELECT {expression}, count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20");
        var rows = new List<(string, long)>();
        await using var cmd = new NpgsqlCommand(sql, c);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            rows.Add((r.GetString(0), r.GetInt64(1)));
        }

        return rows;
    }
}
