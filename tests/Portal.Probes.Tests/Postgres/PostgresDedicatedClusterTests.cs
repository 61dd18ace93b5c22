using System.Globalization;
using Npgsql;
using Portal.Probes.Contract;
using Portal.Probes.Probes.Postgres;

namespace Portal.Probes.Tests.Postgres;

/// <summary>Faults the shared server must not have, on a cluster of our own (see <see cref="PgDedicatedCluster"/>).</summary>
public sealed class PostgresDedicatedClusterTests(PgDedicatedCluster cluster) : IClassFixture<PgDedicatedCluster>
{
    [Fact]
    public async Task Connect_ClusterFull_FailsAsTooManyConnections()
    {
        var held = await FillAsync(PgDedicatedCluster.MaxConnections);
        try
        {
            var result = await ProbeHarness.RunAsync(new PostgresConnectProbe(), PgDedicatedCluster.Target(cluster.PrimaryPort));

            Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
            Assert.Equal("too_many_connections", result.Findings["pg.error"]);
            Assert.Equal("53300", result.Findings["pg.sqlstate"]);
            Assert.Contains("too many clients already", result.Verdict.Summary, StringComparison.Ordinal);
        }
        finally
        {
            await ReleaseAsync(held);
        }
    }

    [Theory]
    [InlineData(7, VerdictStatus.Warn, "80")]   // 7 held + the probe = 8 of 10
    [InlineData(9, VerdictStatus.Fail, "100")]  // 9 held + the probe = 10 of 10
    public async Task Activity_SmallClusterFilling_WarnsFrom80AndFailsFrom95(int hold, VerdictStatus expected, string pct)
    {
        var held = await FillAsync(hold);
        try
        {
            var oracle = await CountClientsAsync(held[0]);
            var result = await ProbeHarness.RunAsync(new PostgresActivityProbe(), PgDedicatedCluster.Target(cluster.PrimaryPort));

            Assert.Equal(hold, oracle);
            Assert.Equal(expected, result.Verdict.Status);
            Assert.Equal(pct, result.Findings["pg.connections.used_pct"]);
            Assert.Equal((oracle + 1).ToString(CultureInfo.InvariantCulture), result.Findings["pg.connections.total"]);
            Assert.Equal("10", result.Findings["pg.connections.max"]);
            Assert.Contains($"filler {hold}", result.Output, StringComparison.Ordinal);
        }
        finally
        {
            await ReleaseAsync(held);
        }
    }

    [Fact]
    public async Task Connect_ServerDemandsTlsButTargetHasNone_FailsAsTlsRequired()
    {
        var result = await ProbeHarness.RunAsync(new PostgresConnectProbe(), PgDedicatedCluster.Target(cluster.PrimaryPort, PgDedicatedCluster.TlsOnlyRole));

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("tls_required", result.Findings["pg.error"]);
        Assert.Equal("server_requires_tls", result.Findings["pg.tls.detail"]);
        Assert.Equal("28000", result.Findings["pg.sqlstate"]);
    }

    [Fact]
    public async Task Connect_WithTls_PassesAndTimesTheHandshake()
    {
        var result = await ProbeHarness.RunAsync(new PostgresConnectProbe(), PgDedicatedCluster.Target(cluster.PrimaryPort, PgDedicatedCluster.TlsOnlyRole, useTls: true));

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("true", result.Findings["pg.tls"]);
        Assert.Contains(result.Metrics, m => m.Name == "tls_ms" && m.Value > 0);
        Assert.Contains("certificate CN=localhost, not verified", result.Output, StringComparison.Ordinal);
        Assert.Equal(await cluster.PsqlAsync(cluster.PrimaryPort, "SELECT version()", "require"), result.Findings["pg.version"]);
    }

    [Fact]
    public async Task SlowQueries_PgStatStatementsLoaded_UsesItAndAgreesWithIt()
    {
        await using (var c = await PgDedicatedCluster.OpenAsync(cluster.PrimaryPort))
        {
            await PgTestServer.ExecAsync(c, "SELECT pg_sleep(1.1)");
        }

        var result = await ProbeHarness.RunAsync(new PostgresSlowQueriesProbe(), PgDedicatedCluster.Target(cluster.PrimaryPort),
            new() { ["min_duration_ms"] = "1000" });

        var oracle = await cluster.PsqlAsync(cluster.PrimaryPort,
            "SELECT count(*) FROM pg_stat_statements WHERE mean_exec_time >= 1000 AND dbid = (SELECT oid FROM pg_database WHERE datname = 'postgres')");
        Assert.Equal("pg_stat_statements", result.Findings["pg.slow_queries.source"]);
        Assert.Equal(oracle, result.Findings["postgres.slow_queries.count"]);
        Assert.Equal(VerdictStatus.Warn, result.Verdict.Status);
        Assert.Contains("SELECT pg_sleep($1)", result.Output, StringComparison.Ordinal);
        Assert.Contains("source: pg_stat_statements", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recovery_PrimaryWithFailingArchiveAndAStandby_WarnsAndListsTheStandby()
    {
        await using (var c = await PgDedicatedCluster.OpenAsync(cluster.PrimaryPort))
        {
            await PgTestServer.ExecAsync(c, "CREATE TABLE IF NOT EXISTS wal_filler AS SELECT 1 AS x; SELECT pg_switch_wal()");
        }

        await PgTestServer.WaitUntilAsync(async () => await cluster.PsqlAsync(cluster.PrimaryPort, "SELECT failed_count > 0 FROM pg_stat_archiver") == "t",
            "archive_command = false to fail", seconds: 30);
        await PgTestServer.WaitUntilAsync(async () => await cluster.PsqlAsync(cluster.PrimaryPort, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") == "1",
            "the standby to stream", seconds: 30);

        var result = await ProbeHarness.RunAsync(new PostgresRecoveryProbe(), PgDedicatedCluster.Target(cluster.PrimaryPort));

        Assert.Equal(VerdictStatus.Warn, result.Verdict.Status);
        Assert.Equal("primary", result.Findings["pg.recovery.role"]);
        Assert.Equal("1", result.Findings["pg.replication.standbys"]);
        Assert.Equal("true", result.Findings["pg.archiver.failing"]);
        Assert.Equal("on", result.Findings["pg.archiver.mode"]);
        var failed = long.Parse(result.Findings["pg.archiver.failed_count"], CultureInfo.InvariantCulture);
        Assert.True(failed > 0);
        Assert.Equal(await cluster.PsqlAsync(cluster.PrimaryPort, "SELECT last_failed_wal FROM pg_stat_archiver"), result.Findings["pg.archiver.last_failed_wal"]);
        Assert.Contains("WAL archiving is failing", result.Verdict.Summary, StringComparison.Ordinal);
        Assert.Contains("standby walreceiver", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recovery_Standby_ReportsItIsInRecoveryAndStreaming()
    {
        await PgTestServer.WaitUntilAsync(async () => await cluster.PsqlAsync(cluster.StandbyPort, "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming'") == "1",
            "the standby's WAL receiver to stream", seconds: 30);

        var result = await ProbeHarness.RunAsync(new PostgresRecoveryProbe(), PgDedicatedCluster.Target(cluster.StandbyPort));

        Assert.Equal("t", await cluster.PsqlAsync(cluster.StandbyPort, "SELECT pg_is_in_recovery()"));
        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("standby", result.Findings["pg.recovery.role"]);
        Assert.Equal("streaming", result.Findings["pg.recovery.receiver"]);
        Assert.StartsWith("Standby in recovery", result.Verdict.Summary, StringComparison.Ordinal);
    }

    private async Task<List<NpgsqlConnection>> FillAsync(int count)
    {
        // Nothing else of ours may hold a slot when we start counting.
        await PgTestServer.WaitUntilAsync(async () => await cluster.PsqlAsync(cluster.PrimaryPort,
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()") == "0", "the cluster to be empty");
        var held = new List<NpgsqlConnection>();
        for (var i = 0; i < count; i++)
        {
            held.Add(await PgDedicatedCluster.OpenAsync(cluster.PrimaryPort, "filler"));
        }

        return held;
    }

    private static async Task<long> CountClientsAsync(NpgsqlConnection c)
    {
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'", c);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task ReleaseAsync(List<NpgsqlConnection> held)
    {
        foreach (var c in held)
        {
            await c.DisposeAsync();
        }
    }
}
