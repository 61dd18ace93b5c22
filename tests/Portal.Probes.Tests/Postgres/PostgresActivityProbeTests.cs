using System.Globalization;
using Npgsql;
using Portal.Probes.Contract;
using Portal.Probes.Probes.Postgres;

namespace Portal.Probes.Tests.Postgres;

public sealed class PostgresActivityProbeTests(PgTestServer pg) : IClassFixture<PgTestServer>
{
    private readonly PostgresActivityProbe _probe = new();

    [Theory]
    [InlineData(0, VerdictStatus.Pass)]
    [InlineData(79.9, VerdictStatus.Pass)]
    [InlineData(80, VerdictStatus.Warn)]
    [InlineData(94.9, VerdictStatus.Warn)]
    [InlineData(95, VerdictStatus.Fail)]
    [InlineData(100, VerdictStatus.Fail)]
    public void Judge_UsedPercent_WarnsFrom80AndFailsFrom95(double pct, VerdictStatus expected) =>
        Assert.Equal(expected, PostgresActivityProbe.Judge(pct));

    [Fact]
    public async Task Run_IdleTransactionAndLockWait_CountsAgreeWithPgStatActivityAndReportsWhoBlocksWhom()
    {
        var connections = new List<NpgsqlConnection>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                connections.Add(await pg.OpenAsync(application: "idle-app"));
            }

            var inTx = await pg.OpenAsync(application: "tx-app");
            connections.Add(inTx);
            await PgTestServer.ExecAsync(inTx, "BEGIN; SELECT 1");

            var blocker = await pg.OpenAsync(application: "blocker-app");
            connections.Add(blocker);
            await PgTestServer.ExecAsync(blocker, "CREATE TABLE IF NOT EXISTS locked (id int)");
            await PgTestServer.ExecAsync(blocker, "BEGIN; LOCK TABLE locked IN ACCESS EXCLUSIVE MODE");
            var blockerPid = blocker.ProcessID;

            var waiter = await pg.OpenAsync(application: "waiter-app");
            connections.Add(waiter);
            var waiterPid = waiter.ProcessID;
            using var stopWaiter = new CancellationTokenSource();
            var waiting = Task.Run(async () =>
            {
                await using var cmd = new NpgsqlCommand("SELECT count(*) FROM locked", waiter);
                try
                {
                    await cmd.ExecuteScalarAsync(stopWaiter.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or NpgsqlException)
                {
                }
            });
            await PgTestServer.WaitUntilAsync(
                async () => await pg.PsqlAsync($"SELECT count(*) FROM pg_stat_activity WHERE pid = {waiterPid} AND wait_event_type = 'Lock'") == "1",
                "the waiter to block on the lock");

            // The oracle, taken while everything is held; the probe adds its own (active) connection.
            var oracleTotal = await pg.PsqlAsync($"SELECT count(*) FROM pg_stat_activity WHERE datname = '{pg.Database}'");
            var oracleStates = (await pg.PsqlAsync($"SELECT state || '=' || count(*) FROM pg_stat_activity WHERE datname = '{pg.Database}' GROUP BY state"))
                .Split('\n').Select(l => l.Split('=')).ToDictionary(p => p[0], p => long.Parse(p[1], CultureInfo.InvariantCulture));

            var result = await ProbeHarness.RunAsync(_probe, pg.Target(), new() { ["database"] = pg.Database, ["top"] = "50" });

            stopWaiter.Cancel();
            await waiting;
            Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
            Assert.Equal(long.Parse(oracleTotal, CultureInfo.InvariantCulture) + 1, long.Parse(result.Findings["pg.connections.database"], CultureInfo.InvariantCulture));
            Assert.Equal(3, oracleStates["idle"]);
            Assert.Equal(2, oracleStates["idle in transaction"]);
            Assert.Equal(1, oracleStates["active"]);
            Assert.Equal("3", result.Findings["pg.connections.database.idle"]);
            Assert.Equal("2", result.Findings["pg.connections.database.idle_in_transaction"]);
            Assert.Equal("2", result.Findings["pg.connections.database.active"]); // the waiter and the probe

            Assert.Contains(blockerPid.ToString(CultureInfo.InvariantCulture), result.Findings["pg.locks.blockers"].Split(','));
            Assert.Contains($"pid {waiterPid} ({pg.Role}, waiter-app) waits", result.Output, StringComparison.Ordinal);
            Assert.Contains($"on pid {blockerPid} ({pg.Role}, idle in transaction)", result.Output, StringComparison.Ordinal);
            Assert.Contains("idle-app 3", result.Output, StringComparison.Ordinal);
            Assert.Contains($"pid {blockerPid} {pg.Role}@{pg.Database} idle in transaction", result.Output, StringComparison.Ordinal);

            var max = long.Parse(await pg.PsqlAsync("SHOW max_connections"), CultureInfo.InvariantCulture);
            var total = long.Parse(result.Findings["pg.connections.total"], CultureInfo.InvariantCulture);
            Assert.Equal(max.ToString(CultureInfo.InvariantCulture), result.Findings["pg.connections.max"]);
            Assert.True(total >= 7, $"total {total}");
            Assert.Equal(ProbeText.Number(Math.Round(100.0 * total / max, 1)), result.Findings["pg.connections.used_pct"]);
            PostgresConnectProbeTests.AssertNoSecret(result, pg.Password);
        }
        finally
        {
            foreach (var c in connections)
            {
                await c.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Run_LongQueryText_IsTruncatedTo200Characters()
    {
        await using var busy = await pg.OpenAsync(application: "long-text");
        var longSql = "SELECT pg_sleep(30) /* " + new string('x', 500) + " */";
        using var stop = new CancellationTokenSource();
        var running = Task.Run(async () =>
        {
            await using var cmd = new NpgsqlCommand(longSql, busy);
            try
            {
                await cmd.ExecuteScalarAsync(stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or NpgsqlException)
            {
            }
        });
        await PgTestServer.WaitUntilAsync(
            async () => await pg.PsqlAsync($"SELECT count(*) FROM pg_stat_activity WHERE pid = {busy.ProcessID} AND state = 'active'") == "1", "the long query to start");

        var result = await ProbeHarness.RunAsync(_probe, pg.Target(), new() { ["top"] = "50" });

        await stop.CancelAsync();
        await running;
        var line = result.Events.OfType<OutputLine>().Single(l => l.Text.Contains($"pid {busy.ProcessID} ", StringComparison.Ordinal)).Text;
        Assert.Contains("SELECT pg_sleep(30) /* xxx", line, StringComparison.Ordinal);
        Assert.EndsWith("…", line, StringComparison.Ordinal);
        Assert.True(line.Length < 400, line);
    }

    [Fact]
    public async Task Run_WrongPassword_FailsWithPgError()
    {
        var result = await ProbeHarness.RunAsync(_probe, pg.Target(password: "wrong"));

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("auth_failed", result.Findings["pg.error"]);
        Assert.False(result.Findings.ContainsKey("pg.connections.used_pct"));
    }
}
