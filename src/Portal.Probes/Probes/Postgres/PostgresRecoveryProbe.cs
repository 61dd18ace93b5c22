using System.Globalization;
using System.Runtime.CompilerServices;
using Npgsql;
using Portal.Probes.Contract;

namespace Portal.Probes.Probes.Postgres;

/// <summary>
/// For the data recovery runbook: is this server a primary or a standby in recovery, how far
/// behind are the standbys (or this standby), and is WAL archiving working.
/// </summary>
public sealed class PostgresRecoveryProbe : IProbe
{
    public ProbeDescriptor Descriptor { get; } = new(
        Kind: "postgres.recovery",
        Title: "PostgreSQL recovery and archiving",
        TitleZh: "PostgreSQL 恢复与归档状态",
        Description: "Reports whether the server is a primary or in recovery, replication lag per standby, and WAL archiver status (last archived WAL, failures).",
        TargetKinds: PgParameters.Targets,
        Parameters:
        [
            PgParameters.Database,
            new ProbeParameter("max_lag_s", ParameterType.Integer, "Warn when a standby replays more than this many seconds behind.", Default: "60", Min: 0, Max: 86_400),
            new ProbeParameter("max_lag_mb", ParameterType.Integer, "Warn when a standby is more than this many MB of WAL behind.", Default: "64", Min: 0, Max: 1_048_576),
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

        var (state, failure) = await session.TryAsync(ReadAsync, ct);
        if (state is null)
        {
            foreach (var e in PgText.QueryFailed(failure!, "the recovery state"))
            {
                yield return e;
            }

            yield break;
        }

        foreach (var e in Report(state, request.GetInt("max_lag_s"), request.GetInt("max_lag_mb")))
        {
            yield return e;
        }
    }

    private static IEnumerable<ProbeEvent> Report(State s, int maxLagS, int maxLagMb)
    {
        var problems = new List<string>();
        var maxBytes = maxLagMb * 1024L * 1024L;
        yield return new Finding("pg.recovery.in_recovery", ProbeText.Bool(s.InRecovery));
        yield return new Finding("pg.recovery.role", s.InRecovery ? "standby" : "primary");

        if (!s.InRecovery)
        {
            yield return new OutputLine($"primary (not in recovery); current WAL {s.CurrentLsn}; {s.Standbys.Count} standby(s) streaming");
            yield return new Finding("pg.replication.standbys", ProbeText.Number(s.Standbys.Count));
            double maxLag = 0;
            long maxLagBytes = 0;
            foreach (var st in s.Standbys)
            {
                maxLag = Math.Max(maxLag, st.ReplayLagS ?? 0);
                maxLagBytes = Math.Max(maxLagBytes, st.LagBytes ?? 0);
                yield return new OutputLine($"  standby {st.Name} {st.Client} {st.State} {st.SyncState}: replay lag {(st.ReplayLagS is { } l ? PgText.Seconds(l) : "n/a")}, " +
                                            $"{Mb(st.LagBytes)} behind (sent {st.SentLsn}, replayed {st.ReplayLsn})");
                if (st.ReplayLagS > maxLagS || st.LagBytes > maxBytes)
                {
                    problems.Add($"standby {st.Name} is {(st.ReplayLagS is { } x ? PgText.Seconds(x) : "?")} / {Mb(st.LagBytes)} behind");
                }
            }

            if (s.Standbys.Count > 0)
            {
                yield return new Finding("pg.replication.max_lag_s", ProbeText.Number(Math.Round(maxLag, 3)));
                yield return new Finding("pg.replication.max_lag_bytes", ProbeText.Number(maxLagBytes));
                yield return new Metric("replication_lag_s", maxLag, "s");
                yield return new Metric("replication_lag_bytes", maxLagBytes, "bytes");
            }
        }
        else
        {
            var lagBytes = s.ReceiveReplayBytes ?? 0;
            yield return new OutputLine($"standby (in recovery): received {s.ReceiveLsn ?? "n/a"}, replayed {s.ReplayLsn ?? "n/a"} ({Mb(s.ReceiveReplayBytes)} to replay); " +
                                        $"last replayed transaction {(s.ReplayAgeS is { } age ? PgText.Seconds(age) + " ago" : "n/a")}; " +
                                        $"WAL receiver {s.ReceiverStatus ?? "not running"}{(s.SenderHost is null ? "" : $" from {s.SenderHost}")}");
            yield return new Finding("pg.recovery.receiver", s.ReceiverStatus ?? "none");
            yield return new Finding("pg.recovery.replay_lag_bytes", ProbeText.Number(lagBytes));
            if (s.ReplayAgeS is { } a)
            {
                yield return new Finding("pg.recovery.replay_age_s", ProbeText.Number(Math.Round(a, 3)));
                yield return new Metric("replay_age_s", a, "s");
            }

            yield return new Metric("replay_lag_bytes", lagBytes, "bytes");
            if (s.ReceiverStatus is null)
            {
                problems.Add("this standby has no WAL receiver (not streaming from a primary)");
            }

            if (lagBytes > maxBytes)
            {
                problems.Add($"{Mb(lagBytes)} received but not yet replayed");
            }

            // On an idle primary the last replayed transaction ages without any lag; only count it when WAL is waiting.
            if (s.ReplayAgeS > maxLagS && lagBytes > 0)
            {
                problems.Add($"replay is {PgText.Seconds(s.ReplayAgeS.Value)} behind");
            }
        }

        // Archiver.
        yield return new Finding("pg.archiver.mode", s.ArchiveMode);
        yield return new Finding("pg.archiver.archived_count", ProbeText.Number(s.ArchivedCount));
        yield return new Finding("pg.archiver.failed_count", ProbeText.Number(s.FailedCount));
        if (s.LastArchivedWal is not null)
        {
            yield return new Finding("pg.archiver.last_archived_wal", s.LastArchivedWal);
        }

        if (s.LastFailedWal is not null)
        {
            yield return new Finding("pg.archiver.last_failed_wal", s.LastFailedWal);
        }

        var failing = s.FailedCount > 0 && (s.LastArchivedTime is null || s.LastFailedTime > s.LastArchivedTime);
        yield return new Finding("pg.archiver.failing", ProbeText.Bool(failing));
        if (s.ArchiveMode == "off")
        {
            yield return new OutputLine("archiver: archive_mode = off — WAL is not archived, so point-in-time recovery is not possible from this server");
        }
        else
        {
            yield return new OutputLine($"archiver: archive_mode = {s.ArchiveMode}; {s.ArchivedCount} archived, last {s.LastArchivedWal ?? "none"} at {Time(s.LastArchivedTime)}; " +
                                        $"{s.FailedCount} failed, last {s.LastFailedWal ?? "none"} at {Time(s.LastFailedTime)}",
                failing ? OutputStream.Stderr : OutputStream.Stdout);
        }

        if (failing)
        {
            problems.Add($"WAL archiving is failing ({s.FailedCount} failures, last {s.LastFailedWal} at {Time(s.LastFailedTime)}): check archive_command and the archive destination; WAL piles up in pg_wal until it works");
        }
        else if (s.FailedCount > 0)
        {
            yield return new OutputLine($"archiver: {s.FailedCount} earlier failure(s), archiving has succeeded since");
        }

        var role = s.InRecovery ? "Standby in recovery" : "Primary";
        yield return problems.Count == 0
            ? new Verdict(VerdictStatus.Pass, $"{role}; {(s.InRecovery ? "replay keeps up" : $"{s.Standbys.Count} standby(s) within limits")}; " +
                                              $"{(s.ArchiveMode == "off" ? "WAL archiving is off" : $"WAL archiving works ({s.ArchivedCount} archived)")}.")
            : new Verdict(VerdictStatus.Warn, $"{role}: {string.Join("; ", problems)}.");
    }

    private static string Mb(long? bytes) => bytes is { } b ? ProbeText.Number(Math.Round(b / 1024.0 / 1024.0, 2)) + " MB" : "n/a";

    private static string Time(DateTime? t) => t?.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "never";

    private sealed record Standby(string Name, string Client, string State, string SyncState, string? SentLsn, string? ReplayLsn, long? LagBytes, double? ReplayLagS);

    private sealed record State(
        bool InRecovery, string? CurrentLsn, List<Standby> Standbys,
        string? ReceiveLsn, string? ReplayLsn, long? ReceiveReplayBytes, double? ReplayAgeS, string? ReceiverStatus, string? SenderHost,
        string ArchiveMode, long ArchivedCount, string? LastArchivedWal, DateTime? LastArchivedTime, long FailedCount, string? LastFailedWal, DateTime? LastFailedTime);

    private static async Task<State> ReadAsync(NpgsqlConnection c, CancellationToken ct)
    {
        bool inRecovery;
        string archiveMode;
        await using (var cmd = new NpgsqlCommand("SELECT pg_is_in_recovery(), current_setting('archive_mode')", c))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            await r.ReadAsync(ct);
            (inRecovery, archiveMode) = (r.GetBoolean(0), r.GetString(1));
        }

        string? currentLsn = null, receiveLsn = null, replayLsn = null, receiver = null, sender = null;
        long? pending = null;
        double? replayAge = null;
        var standbys = new List<Standby>();
        if (!inRecovery)
        {
            await using (var cmd = new NpgsqlCommand("SELECT pg_current_wal_lsn()::text", c))
            {
                currentLsn = (string?)await cmd.ExecuteScalarAsync(ct);
            }

            const string replication = """
                SELECT coalesce(nullif(application_name, ''), '(none)'), coalesce(host(client_addr), 'local'), coalesce(state, ''), coalesce(sync_state, ''),
                       sent_lsn::text, replay_lsn::text, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint,
                       extract(epoch FROM replay_lag)::float8
                FROM pg_stat_replication ORDER BY 1
                """;
            await using var cmd2 = new NpgsqlCommand(replication, c);
            await using var r = await cmd2.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                standbys.Add(new Standby(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3),
                    r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5),
                    r.IsDBNull(6) ? null : r.GetInt64(6), r.IsDBNull(7) ? null : r.GetDouble(7)));
            }
        }
        else
        {
            const string standby = """
                SELECT pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text,
                       pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::bigint,
                       extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8,
                       (SELECT status FROM pg_stat_wal_receiver LIMIT 1),
                       (SELECT sender_host FROM pg_stat_wal_receiver LIMIT 1)
                """;
            await using var cmd = new NpgsqlCommand(standby, c);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            await r.ReadAsync(ct);
            receiveLsn = r.IsDBNull(0) ? null : r.GetString(0);
            replayLsn = r.IsDBNull(1) ? null : r.GetString(1);
            pending = r.IsDBNull(2) ? null : r.GetInt64(2);
            replayAge = r.IsDBNull(3) ? null : r.GetDouble(3);
            receiver = r.IsDBNull(4) ? null : r.GetString(4);
            sender = r.IsDBNull(5) ? null : r.GetString(5);
        }

        const string archiver = """
            SELECT archived_count, last_archived_wal, last_archived_time, failed_count, last_failed_wal, last_failed_time
            FROM pg_stat_archiver
            """;
        await using (var cmd = new NpgsqlCommand(archiver, c))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            await r.ReadAsync(ct);
            return new State(inRecovery, currentLsn, standbys, receiveLsn, replayLsn, pending, replayAge, receiver, sender, archiveMode,
                r.GetInt64(0), r.IsDBNull(1) ? null : r.GetString(1), r.IsDBNull(2) ? null : r.GetDateTime(2),
                r.GetInt64(3), r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetDateTime(5));
        }
    }
}
