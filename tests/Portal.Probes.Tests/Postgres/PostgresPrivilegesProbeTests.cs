using Portal.Probes.Contract;
using Portal.Probes.Probes.Postgres;

namespace Portal.Probes.Tests.Postgres;

public sealed class PostgresPrivilegesProbeTests(PgTestServer pg) : IClassFixture<PgTestServer>
{
    private readonly PostgresPrivilegesProbe _probe = new();

    [Fact]
    public async Task Run_OwnerOfItsDatabase_PassesWithNothingMissing()
    {
        var result = await ProbeHarness.RunAsync(_probe, pg.Target(), new() { ["database"] = pg.Database, ["user"] = pg.Role });

        Assert.Equal(VerdictStatus.Pass, result.Verdict.Status);
        Assert.False(result.Findings.ContainsKey("pg.privileges.missing"));
        Assert.Equal("0", result.Findings["pg.privileges.missing_count"]);
        Assert.Equal(await Oracle($"has_schema_privilege('{pg.Role}', 'public', 'CREATE')"), result.Findings["pg.privileges.schema.public.create"]);
        Assert.Equal(await Oracle($"has_database_privilege('{pg.Role}', '{pg.Database}', 'TEMP')"), result.Findings["pg.privileges.database.temp"]);
        Assert.Equal("false", result.Findings["pg.role.superuser"]);
        Assert.Equal("true", result.Findings["pg.role.login"]);
        Assert.Equal("-1", result.Findings["pg.role.connection_limit"]);
    }

    [Fact]
    public async Task Run_RoleWithoutCreateOnPublic_WarnsAndNamesIt()
    {
        var role = "platform_ro_" + PgTestServer.RandomSuffix();
        await pg.CreateRoleAsync(role, "ro-pw");

        var result = await ProbeHarness.RunAsync(_probe, pg.Target(role, "ro-pw"));

        Assert.Equal("f", await pg.PsqlAsync($"SELECT has_schema_privilege('{role}', 'public', 'CREATE')", pg.Database));
        Assert.Equal(VerdictStatus.Warn, result.Verdict.Status);
        Assert.Equal("CREATE:public", result.Findings["pg.privileges.missing"]);
        Assert.Equal("true", result.Findings["pg.privileges.schema.public.usage"]);
        Assert.Contains($"GRANT CREATE ON SCHEMA \"public\" TO \"{role}\";", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_RoleWithoutConnectLoggingInItself_FailsWithConnectMissing()
    {
        var (role, database) = await RoleWithoutConnectAsync();

        var result = await ProbeHarness.RunAsync(_probe, pg.Target(role, "nc-pw", database));

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("CONNECT", result.Findings["pg.privileges.missing"]);
        Assert.Equal("permission_denied", result.Findings["pg.error"]);
        Assert.Contains($"GRANT CONNECT ON DATABASE \"{database}\" TO \"{role}\";", result.Verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_CheckingAnotherRoleAsSuperuser_ReportsEveryMissingPrivilegeAndAttributes()
    {
        var (role, database) = await RoleWithoutConnectAsync("LOGIN CONNECTION LIMIT 7 VALID UNTIL '2001-01-01'");

        var result = await ProbeHarness.RunAsync(_probe, pg.AdminTarget(database), new() { ["user"] = role, ["schemas"] = "public,nosuch" });

        Assert.Equal("f", await pg.PsqlAsync($"SELECT has_database_privilege('{role}', '{database}', 'CONNECT')"));
        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("VALID_UNTIL,CONNECT,CREATE:public,USAGE:nosuch", result.Findings["pg.privileges.missing"]);
        Assert.Equal("7", result.Findings["pg.role.connection_limit"]);
        Assert.StartsWith("2001-01-01", result.Findings["pg.role.valid_until"], StringComparison.Ordinal);
        Assert.Equal("false", result.Findings["pg.privileges.schema.nosuch.exists"]);
        Assert.Contains("schema nosuch: does not exist", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_RoleThatDoesNotExist_FailsSayingSo()
    {
        var result = await ProbeHarness.RunAsync(_probe, pg.AdminTarget(), new() { ["user"] = "nobody_" + PgTestServer.RandomSuffix() });

        Assert.Equal(VerdictStatus.Fail, result.Verdict.Status);
        Assert.Equal("false", result.Findings["pg.role.exists"]);
        Assert.Equal("ROLE", result.Findings["pg.privileges.missing"]);
    }

    [Fact]
    public async Task Run_SchemaListWithInjection_IsRejectedByTheSchema()
    {
        var validation = ParameterValidator.Validate(_probe.Descriptor, new Dictionary<string, string?> { ["schemas"] = "public;DROP TABLE x" });

        Assert.False(validation.IsValid);
        Assert.True(validation.Errors.ContainsKey("schemas"));
        await Task.CompletedTask;
    }

    private async Task<(string Role, string Database)> RoleWithoutConnectAsync(string options = "LOGIN")
    {
        var role = "platform_nc_" + PgTestServer.RandomSuffix();
        var database = "platform_ncdb_" + PgTestServer.RandomSuffix();
        await pg.CreateRoleAsync(role, "nc-pw", options);
        await pg.CreateDatabaseAsync(database, "postgres");
        await using var admin = await pg.OpenAdminAsync();
        await PgTestServer.ExecAsync(admin, $"REVOKE CONNECT ON DATABASE \"{database}\" FROM PUBLIC");
        return (role, database);
    }

    private async Task<string> Oracle(string expression) =>
        await pg.PsqlAsync($"SELECT {expression}", pg.Database) == "t" ? "true" : "false";
}
