using Portal.Probes.Contract;
using Portal.Probes.Probes.Postgres;

namespace Portal.Probes.Tests.Postgres;

public sealed class PostgresRecoveryProbeTests(PgTestServer pg) : IClassFixture<PgTestServer>
{
    private readonly PostgresRecoveryProbe _probe = new();

    [Fact]
    public async Task Run_SharedServer_IsAPrimaryAndReportsTheArchiverAsPgStatArchiverDoes()
    {
        var result = await ProbeHarness.RunAsync(_probe, pg.Target(), new() { ["database"] = pg.Database });

        Assert.Equal("f", await pg.PsqlAsync("SELECT pg_is_in_recovery()"));
        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.StartsWith("Primary", result.Verdict.Summary, StringComparison.Ordinal);
        Assert.Equal("primary", result.Findings["pg.recovery.role"]);
        Assert.Equal("false", result.Findings["pg.recovery.in_recovery"]);
        Assert.Equal(await pg.PsqlAsync("SELECT count(*) FROM pg_stat_replication"), result.Findings["pg.replication.standbys"]);
        Assert.Equal(await pg.PsqlAsync("SHOW archive_mode"), result.Findings["pg.archiver.mode"]);
        Assert.Equal(await pg.PsqlAsync("SELECT archived_count FROM pg_stat_archiver"), result.Findings["pg.archiver.archived_count"]);
        Assert.Equal(await pg.PsqlAsync("SELECT failed_count FROM pg_stat_archiver"), result.Findings["pg.archiver.failed_count"]);
        Assert.Contains("archiver: archive_mode = ", result.Output, StringComparison.Ordinal);
        Assert.False(result.Findings.ContainsKey("pg.error"));
    }

    [Fact]
    public async Task Run_WrongPassword_FailsWithPgErrorForTheRunbook()
    {
        var result = await ProbeHarness.RunAsync(_probe, pg.Target(password: "wrong"));

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("auth_failed", result.Findings["pg.error"]);
        Assert.False(result.Findings.ContainsKey("pg.recovery.role"));
    }
}
