using Dapper;
using Npgsql;
using Portal.Runbooks.Storage;

namespace Portal.Web.Resilience;

/// <summary>
/// Checks the portal's PostgreSQL every second (Portal:Resilience:CheckInterval). A check that fails or
/// takes longer than CheckTimeout puts the portal in degraded mode (stores also report failures they meet,
/// so it is usually noticed at once). When checks pass again, the journal is replayed first and only then
/// is degraded mode left, so nothing written meanwhile overtakes what was journaled. While the database is
/// up, the runbook snapshot is kept current.
/// </summary>
public sealed class DatabaseWatch(
    NpgsqlDataSource db, DatabaseState database, PortalDegradedState state, JournalReplayer replayer, RunbookSnapshot snapshot,
    ResilienceOptions options, TimeProvider time, ILogger<DatabaseWatch> logger) : BackgroundService
{
    private DateTimeOffset _nextSnapshot = DateTimeOffset.MinValue;
    private int _slowChecks;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var wasDown = false;
        using var timer = new PeriodicTimer(options.CheckInterval, time);
        do
        {
            try
            {
                await CheckAsync(stoppingToken);
                _slowChecks = 0;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested && !state.DatabaseDown && !Refused(ex) && ++_slowChecks < 2)
            {
                // One slow answer on a busy machine is not an outage (it flipped a sign-in into degraded mode
                // under test load); a refused connection is certain at once, a second slow check in a row too.
                logger.LogWarning("The portal's database answered slowly ({Reason}); checking again before degraded mode", ex.Message);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                if (!state.DatabaseDown)
                {
                    logger.LogError("The portal's database does not answer: {Reason}; degraded mode (snapshot, local journal)", ex.Message);
                }

                state.DatabaseFailed(ex.Message);
            }

            if (state.DatabaseDown != wasDown)
            {
                // Connections opened before the change are dead (down) or were refused (up): start afresh.
                db.Clear();
                wasDown = state.DatabaseDown;
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private static bool Refused(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is System.Net.Sockets.SocketException)
            {
                return true;
            }
        }

        return false;
    }

    private async Task CheckAsync(CancellationToken stoppingToken)
    {
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
        {
            timeout.CancelAfter(options.CheckTimeout);
            try
            {
                await using var connection = await db.OpenConnectionAsync(timeout.Token);
                await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: timeout.Token));
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                throw new TimeoutException($"no answer within {options.CheckTimeout.TotalSeconds:0.#} s");
            }
        }

        if (!database.IsReady)
        {
            return; // DatabaseStartup migrates and seeds first; until then there is nothing to replay into.
        }

        if (state.DatabaseDown || journal() > 0)
        {
            var replayed = await replayer.ReplayAsync(stoppingToken);
            if (state.DatabaseDown)
            {
                logger.LogWarning("The portal's database answers again after {Duration}; {Count} journaled writes stored",
                    time.GetUtcNow() - state.Database!.Since, replayed);
            }

            state.DatabaseRecovered();
            _nextSnapshot = DateTimeOffset.MinValue;
        }

        if (time.GetUtcNow() >= _nextSnapshot)
        {
            await snapshot.RefreshAsync(stoppingToken);
            _nextSnapshot = time.GetUtcNow() + options.SnapshotInterval;
        }

        int journal() => state.PendingJournalEntries;
    }
}
