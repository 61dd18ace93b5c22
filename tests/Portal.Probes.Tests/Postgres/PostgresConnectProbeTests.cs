using System.Net;
using System.Net.Sockets;
using Portal.Probes.Contract;
using Portal.Probes.Probes.Postgres;

namespace Portal.Probes.Tests.Postgres;

public sealed class PostgresConnectProbeTests(PgTestServer pg) : IClassFixture<PgTestServer>
{
    private readonly PostgresConnectProbe _probe = new();

    [Fact]
    public async Task Run_PlatformRole_PassesWithTheVersionPsqlReports()
    {
        var result = await ProbeHarness.RunAsync(_probe, pg.Target(), new() { ["database"] = pg.Database, ["user"] = pg.Role, ["query"] = "SELECT version();" });

        var oracle = await pg.PsqlAsync("SELECT version()", pg.Database, pg.Role, pg.Password);
        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal(oracle, result.Findings["pg.version"]);
        Assert.Equal("false", result.Findings["pg.tls"]);
        Assert.False(result.Findings.ContainsKey("pg.error"));
        foreach (var phase in new[] { "dns_ms", "tcp_ms", "auth_ms", "query_ms", "total_ms" })
        {
            Assert.Contains(result.Metrics, m => m.Name == phase && m.Value >= 0);
        }

        Assert.Contains(oracle, result.Output, StringComparison.Ordinal);
        Assert.Contains(PostgresConnectProbe.ShortVersion(oracle), result.Verdict.Summary, StringComparison.Ordinal);
        AssertNoSecret(result, pg.Password);
    }

    [Fact]
    public async Task Run_SelectOneQuery_StillReportsTheServerVersion()
    {
        var result = await ProbeHarness.RunAsync(_probe, pg.Target(), new() { ["query"] = "SELECT 1;" });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.Equal(await pg.PsqlAsync("SHOW server_version_num"), result.Findings["pg.server_version_num"]);
    }

    [Fact]
    public async Task Run_WrongPassword_FailsAsAuthFailed()
    {
        var result = await ProbeHarness.RunAsync(_probe, pg.Target(password: "not-the-password"));

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("auth_failed", result.Findings["pg.error"]);
        Assert.Equal("28P01", result.Findings["pg.sqlstate"]);
        Assert.Contains($"password authentication failed for user \"{pg.Role}\"", result.Verdict.Summary, StringComparison.Ordinal);
        Assert.Contains("check the password in the target", result.Verdict.Summary, StringComparison.Ordinal);
        AssertNoSecret(result, "not-the-password");
    }

    [Fact]
    public async Task Run_MissingDatabase_FailsAsDatabaseMissing()
    {
        var missing = "nodb_" + PgTestServer.RandomSuffix();

        var result = await ProbeHarness.RunAsync(_probe, pg.Target(), new() { ["database"] = missing });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("database_missing", result.Findings["pg.error"]);
        Assert.Equal("3D000", result.Findings["pg.sqlstate"]);
        Assert.Contains(missing, result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_RoleConnectionLimitFilled_FailsAsTooManyConnections()
    {
        var role = "platform_lim_" + PgTestServer.RandomSuffix();
        await pg.CreateRoleAsync(role, "limited-pw", "LOGIN CONNECTION LIMIT 2");
        await using var first = await pg.OpenAsync(role, "limited-pw");
        await using var second = await pg.OpenAsync(role, "limited-pw");

        var result = await ProbeHarness.RunAsync(_probe, pg.Target(role, "limited-pw"));

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("too_many_connections", result.Findings["pg.error"]);
        Assert.Equal("53300", result.Findings["pg.sqlstate"]);
        Assert.Contains("too many connections for role", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ClosedPort_FailsAsRefused()
    {
        var result = await ProbeHarness.RunAsync(_probe, pg.Target(port: PgTestServer.ClosedPort()));

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("refused", result.Findings["pg.error"]);
        Assert.Contains(result.Metrics, m => m.Name == "tcp_ms");
    }

    [Fact]
    public async Task Run_LoopbackNotAllowedForTheTarget_FailsAsRefusedByPolicy()
    {
        var result = await ProbeHarness.RunAsync(_probe, pg.Target() with { AllowLoopback = false });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("refused_by_policy", result.Findings["pg.error"]);
        Assert.Contains("loopback", result.Verdict.Summary, StringComparison.Ordinal);
        Assert.DoesNotContain(result.Metrics, m => m.Name == "tcp_ms");
    }

    [Fact]
    public async Task Run_HostThatDoesNotResolve_FailsAsDns()
    {
        var result = await ProbeHarness.RunAsync(_probe, pg.Target() with { Host = "no-such-host.invalid" });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("dns", result.Findings["pg.error"]);
    }

    [Fact]
    public async Task Run_TlsWantedButServerHasNoSsl_FailsAsTlsRequired()
    {
        Assert.Equal("off", await pg.PsqlAsync("SHOW ssl"));

        var result = await ProbeHarness.RunAsync(_probe, pg.Target(useTls: true));

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("tls_required", result.Findings["pg.error"]);
        Assert.Equal("server_has_no_tls", result.Findings["pg.tls.detail"]);
        Assert.Contains("does not offer it", result.Verdict.Summary, StringComparison.Ordinal);
        Assert.Contains("tcp   ", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ServerThatNeverAnswers_FailsAsTimeout()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start(); // accepts at the TCP level (backlog), never speaks the protocol
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;

        var result = await ProbeHarness.RunAsync(_probe, pg.Target(port: port), new() { ["connect_timeout_s"] = "1" });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("timeout", result.Findings["pg.error"]);
    }

    [Fact]
    public async Task Run_UserOtherThanTheTargets_IsAnErrorAndSendsNothing()
    {
        var result = await ProbeHarness.RunAsync(_probe, pg.Target(), new() { ["user"] = "postgres" });

        Assert.Equal(VerdictStatus.Error, result.Verdict.Status);
        Assert.Single(result.Events);
    }

    [Fact]
    public async Task Run_Cancelled_StopsPromptly()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var request = new ProbeRequest
        {
            Target = pg.Target(port: port),
            Parameters = ParameterValidator.Validate(_probe.Descriptor, new Dictionary<string, string?> { ["connect_timeout_s"] = "60" }).Values,
            Network = new Portal.Probes.Network.NetworkGuard(),
        };
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var watch = System.Diagnostics.Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in _probe.RunAsync(request, cts.Token))
            {
            }
        });
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    internal static void AssertNoSecret(ProbeResult result, string secret)
    {
        foreach (var e in result.Events)
        {
            Assert.DoesNotContain(secret, e.ToString(), StringComparison.Ordinal);
        }
    }
}
