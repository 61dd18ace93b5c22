namespace Portal.Testing;

/// <summary>
/// Where the shared test servers are. scripts/test.sh starts them and sets these variables; a
/// test run without them fails with this message instead of silently skipping.
/// </summary>
public static class TestEnvironment
{
    public static string PostgresAdmin => Required("PORTAL_TEST_PG");

    public static string? Redis => Environment.GetEnvironmentVariable("PORTAL_TEST_REDIS");

    public static string Chromium => Environment.GetEnvironmentVariable("PORTAL_TEST_CHROMIUM") ?? "/usr/bin/chromium";

    private static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{name} is not set. Run the tests through scripts/test.sh, which starts PostgreSQL and Redis for them.");
}
