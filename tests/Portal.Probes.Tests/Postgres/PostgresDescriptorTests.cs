using Portal.Probes.Contract;
using Portal.Probes.Probes.Postgres;

namespace Portal.Probes.Tests.Postgres;

public sealed class PostgresDescriptorTests
{
    /// <summary>The parameters the seeded runbooks (src/Portal.Runbooks/Seed/*.yaml) pass must validate.</summary>
    [Theory]
    [InlineData("postgres.connect", "database=platform", "user=platform", "query=SELECT version();")]
    [InlineData("postgres.activity", "database=platform")]
    [InlineData("postgres.privileges", "database=platform", "user=platform")]
    [InlineData("postgres.slow_queries", "database=platform", "min_duration_ms=1000", "limit=10")]
    [InlineData("postgres.recovery", "database=platform")]
    public void Validate_SeedRunbookParameters_AreAccepted(string kind, params string[] pairs)
    {
        IProbe[] probes = [new PostgresConnectProbe(), new PostgresActivityProbe(), new PostgresPrivilegesProbe(), new PostgresSlowQueriesProbe(), new PostgresRecoveryProbe()];
        var probe = probes.Single(p => p.Descriptor.Kind == kind);
        var raw = pairs.Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => (string?)p[1]);

        var validation = ParameterValidator.Validate(probe.Descriptor, raw);

        Assert.True(validation.IsValid, string.Join("; ", validation.Errors.Values));
        Assert.Equal([TargetKind.Postgres], probe.Descriptor.TargetKinds);
    }

    [Theory]
    [InlineData("database", "platform;Password=x")]
    [InlineData("database", "platform' OR '1'='1")]
    [InlineData("query", "DROP TABLE users;")]
    public void Validate_ConnectionStringOrSqlInjection_IsRefused(string name, string value)
    {
        var validation = ParameterValidator.Validate(new PostgresConnectProbe().Descriptor, new Dictionary<string, string?> { [name] = value });

        Assert.False(validation.IsValid);
    }
}
