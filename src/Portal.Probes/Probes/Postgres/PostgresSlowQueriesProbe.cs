using System.Runtime.CompilerServices;
using Npgsql;
using Portal.Probes.Contract;

namespace Portal.Probes.Probes.Postgres;

/// <summary>
/// The slowest queries: from pg_stat_statements when the extension is installed and loaded,
/// otherwise the statements running longer than the threshold right now (pg_stat_activity). It
/// always says which source it used.
/// </summary>
public sealed class PostgresSlowQueriesProbe : IProbe
{
    public ProbeDescriptor Descriptor { get; } = new(
        Kind: "postgres.slow_queries",
        Title: "PostgreSQL slow queries",
        TitleZh: "PostgreSQL 慢查询",
        Description: "Lists queries slower than a threshold from pg_stat_statements when present, otherwise long-running ones from pg_stat_activity, saying which source it used.",
        TargetKinds: PgParameters.Targets,
        Parameters:
        [
            PgParameters.Database,
            new ProbeParameter("min_duration_ms", ParameterType.Integer, "A query counts as slow from this many milliseconds (mean time in pg_stat_statements, running time in pg_stat_activity).",
                Default: "1000", Min: 0, Max: 86_400_000),
            new ProbeParameter("limit", ParameterType.Integer, "How many queries to list.", Default: "10", Min: 1, Max: 100),
            new ProbeParameter("all_databases", ParameterType.Boolean, "Look at every database of the server, not only the target's.", Default: "false"),
            PgParameters.ConnectTimeout,
            PgParameters.CommandTimeout,
        ],
        DefaultTimeout: TimeSpan.FromSeconds(20),
        MaxTimeout: TimeSpan.FromSeconds(120));

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

        var threshold = request.GetInt("min_duration_ms");
        var limit = request.GetInt("limit");
        var all = request.GetBool("all_databases");
        var scope = all ? "all databases" : $"database {settings.Database}";

        var (statements, stmtFailure) = await session.TryAsync((c, t) => ReadStatementsAsync(c, threshold, limit, all, t), ct);
        if (stmtFailure is not null && stmtFailure.Code is "timeout" or "connection_lost")
        {
            foreach (var e in PgText.QueryFailed(stmtFailure, "pg_stat_statements"))
            {
                yield return e;
            }

            yield break;
        }

        Result result;
        if (statements is { Available: true })
        {
            result = statements;
            yield return new OutputLine($"source: pg_stat_statements {statements.Note} — queries with a mean time of at least {threshold} ms in {scope}", OutputStream.Info);
        }
        else
        {
            var why = stmtFailure is not null ? $"pg_stat_statements could not be read ({stmtFailure.Message})" : statements!.Note;
            yield return new OutputLine($"{why}; using pg_stat_activity: statements running for at least {threshold} ms now in {scope}", OutputStream.Info);
            var (activity, failure) = await session.TryAsync((c, t) => ReadActivityAsync(c, threshold, limit, all, t), ct);
            if (activity is null)
            {
                foreach (var e in PgText.QueryFailed(failure!, "pg_stat_activity"))
                {
                    yield return e;
                }

                yield break;
            }

            result = activity;
        }

        yield return new Finding("pg.slow_queries.source", result.Source);
        foreach (var line in result.Lines)
        {
            yield return new OutputLine(line);
        }

        yield return new Finding("postgres.slow_queries.count", ProbeText.Number(result.Count));
        yield return new Metric("slow_queries", result.Count, "count");
        if (result.SlowestMs is { } slowest)
        {
            yield return new Finding("postgres.slow_queries.max_ms", ProbeText.Number(Math.Round(slowest, 1)));
            yield return new Metric("slowest_ms", slowest, "ms");
        }

        var from = result.Source == "pg_stat_statements" ? "in pg_stat_statements" : "running now (pg_stat_activity)";
        yield return result.Count == 0
            ? new Verdict(VerdictStatus.Pass, $"No queries slower than {threshold} ms {from} in {scope}.")
            : new Verdict(VerdictStatus.Warn,
                $"{result.Count} {(result.Count == 1 ? "query" : "queries")} slower than {threshold} ms {from} in {scope}; the slowest took {PgText.Seconds(result.SlowestMs!.Value / 1000)}: look at their plans (EXPLAIN ANALYZE) and indexes.");
    }

    private sealed record Result(string Source, bool Available, string Note, long Count, double? SlowestMs, List<string> Lines);

    private static async Task<Result> ReadStatementsAsync(NpgsqlConnection c, int threshold, int limit, bool all, CancellationToken ct)
    {
        const string find = """
            SELECT quote_ident(n.nspname), e.extversion
            FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
            WHERE e.extname = 'pg_stat_statements'
            """;
        string schema, version;
        await using (var cmd = new NpgsqlCommand(find, c))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            if (!await r.ReadAsync(ct))
            {
                return new Result("pg_stat_statements", false, "pg_stat_statements is not installed in this database", 0, null, []);
            }

            (schema, version) = (r.GetString(0), r.GetString(1));
        }

        // PostgreSQL 13 renamed mean_time to mean_exec_time.
        var exec = c.PostgreSqlVersion.Major >= 13 ? "exec_time" : "time";
        var sql = $"""
            SELECT s.calls, s.mean_{exec}, s.max_{exec}, s.total_{exec}, s.rows, coalesce(d.datname, ''), coalesce(u.rolname, ''), s.query,
                   count(*) OVER ()
            FROM {schema}.pg_stat_statements s
            LEFT JOIN pg_database d ON d.oid = s.dbid
            LEFT JOIN pg_roles u ON u.oid = s.userid
            WHERE s.mean_{exec} >= @threshold AND (@all OR s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database()))
            ORDER BY s.mean_{exec} DESC
            LIMIT @limit
            """;
        var lines = new List<string>();
        long count = 0;
        double? slowest = null;
        try
        {
            await using var cmd = new NpgsqlCommand(sql, c);
            cmd.Parameters.AddWithValue("threshold", (double)threshold);
            cmd.Parameters.AddWithValue("all", all);
            cmd.Parameters.AddWithValue("limit", limit);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                count = r.GetInt64(8);
                slowest ??= r.GetDouble(1);
                lines.Add($"mean {PgText.Seconds(r.GetDouble(1) / 1000)} max {PgText.Seconds(r.GetDouble(2) / 1000)} calls {ProbeText.Number(r.GetInt64(0))} " +
                          $"total {PgText.Seconds(r.GetDouble(3) / 1000)} rows {ProbeText.Number(r.GetInt64(4))} {r.GetString(6)}@{r.GetString(5)}: {PgText.Query(r.IsDBNull(7) ? null : r.GetString(7))}");
            }
        }
        catch (PostgresException ex) when (ex.SqlState == "55000")
        {
            // Installed but not in shared_preload_libraries: the view exists and refuses to be read.
            return new Result("pg_stat_statements", false, $"pg_stat_statements {version} is installed but not loaded (add it to shared_preload_libraries and restart)", 0, null, []);
        }

        return new Result("pg_stat_statements", true, version, count, slowest, lines);
    }

    private static async Task<Result> ReadActivityAsync(NpgsqlConnection c, int threshold, int limit, bool all, CancellationToken ct)
    {
        const string sql = """
            SELECT pid, coalesce(usename, ''), coalesce(datname, ''), coalesce(nullif(application_name, ''), '(none)'),
                   extract(epoch FROM now() - query_start)::float8 * 1000, wait_event_type, wait_event, query,
                   count(*) OVER ()
            FROM pg_stat_activity
            WHERE state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid()
              AND now() - query_start >= @threshold * interval '1 millisecond'
              AND (@all OR datname = current_database())
            ORDER BY query_start
            LIMIT @limit
            """;
        var lines = new List<string>();
        long count = 0;
        double? slowest = null;
        await using var cmd = new NpgsqlCommand(sql, c);
        cmd.Parameters.AddWithValue("threshold", threshold);
        cmd.Parameters.AddWithValue("all", all);
        cmd.Parameters.AddWithValue("limit", limit);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            count = r.GetInt64(8);
            slowest ??= r.GetDouble(4);
            var wait = r.IsDBNull(5) ? "" : $" waiting on {r.GetString(5)}/{r.GetString(6)}";
            lines.Add($"pid {r.GetInt32(0)} running {PgText.Seconds(r.GetDouble(4) / 1000)}{wait} {r.GetString(1)}@{r.GetString(2)} [{r.GetString(3)}]: {PgText.Query(r.IsDBNull(7) ? null : r.GetString(7))}");
        }

        return new Result("pg_stat_activity", true, "", count, slowest, lines);
    }
}
