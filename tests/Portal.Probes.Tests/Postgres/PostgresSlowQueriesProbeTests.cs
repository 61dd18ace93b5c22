using Npgsql;
using Portal.Probes.Contract;
using Portal.Probes.Probes.Postgres;

namespace Portal.Probes.Tests.Postgres;

public sealed class PostgresSlowQueriesProbeTests(PgTestServer pg) : IClassFixture<PgTestServer>
{
    private readonly PostgresSlowQueriesProbe _probe = new();

    [Fact]
    public async Task Run_SleepRunningInTheBackground_IsReportedFromPgStatActivity()
    {
        await using var busy = await pg.OpenAsync(application: "sleeper");
        using var stop = new CancellationTokenSource();
        var running = Task.Run(async () =>
        {
            await using var cmd = new NpgsqlCommand("SELECT pg_sleep(3)", busy);
            try
            {
                await cmd.ExecuteScalarAsync(stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or NpgsqlException)
            {
            }
        });
        await PgTestServer.WaitUntilAsync(async () => await pg.PsqlAsync(
            $"SELECT count(*) FROM pg_stat_activity WHERE pid = {busy.ProcessID} AND state = 'active' AND now() - query_start > interval '1100 ms'") == "1",
            "pg_sleep to run for more than a second");

        var result = await ProbeHarness.RunAsync(_probe, pg.Target(), new() { ["database"] = pg.Database, ["min_duration_ms"] = "1000", ["limit"] = "10" });

        await stop.CancelAsync();
        await running;
        Assert.Equal(VerdictStatus.Warn, result.Verdict.Status);
        Assert.Equal("pg_stat_activity", result.Findings["pg.slow_queries.source"]);
        Assert.Equal("1", result.Findings["postgres.slow_queries.count"]);
        Assert.True(double.Parse(result.Findings["postgres.slow_queries.max_ms"], System.Globalization.CultureInfo.InvariantCulture) >= 1000);
        Assert.Contains($"pid {busy.ProcessID} running", result.Output, StringComparison.Ordinal);
        Assert.Contains("[sleeper]: SELECT pg_sleep(3)", result.Output, StringComparison.Ordinal);
        Assert.Contains("pg_stat_statements is not installed", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NothingSlow_PassesWithCountZero()
    {
        var result = await ProbeHarness.RunAsync(_probe, pg.Target());

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("0", result.Findings["postgres.slow_queries.count"]);
        Assert.Equal("pg_stat_activity", result.Findings["pg.slow_queries.source"]);
    }

    [Fact]
    public async Task Run_StatementsInstalledButNotPreloaded_SaysSoAndFallsBackToActivity()
    {
        var database = "platform_pss_" + PgTestServer.RandomSuffix();
        await pg.CreateDatabaseAsync(database, "postgres");
        await using (var admin = await pg.OpenAdminAsync(database))
        {
            await PgTestServer.ExecAsync(admin, "CREATE EXTENSION pg_stat_statements");
        }

        Assert.DoesNotContain("pg_stat_statements", await pg.PsqlAsync("SHOW shared_preload_libraries"), StringComparison.Ordinal);

        var result = await ProbeHarness.RunAsync(_probe, pg.AdminTarget(database));

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal("pg_stat_activity", result.Findings["pg.slow_queries.source"]);
        Assert.Contains("is installed but not loaded", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_MissingDatabase_FailsAsDatabaseMissing()
    {
        var result = await ProbeHarness.RunAsync(_probe, pg.Target(), new() { ["database"] = "nodb_" + PgTestServer.RandomSuffix() });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("database_missing", result.Findings["pg.error"]);
        Assert.False(result.Findings.ContainsKey("postgres.slow_queries.count"));
    }
}
