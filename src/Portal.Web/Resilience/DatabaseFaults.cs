using Npgsql;

namespace Portal.Web.Resilience;

/// <summary>Which exceptions mean "the portal's PostgreSQL cannot be reached" (as opposed to a bad query or a refused row).</summary>
public static class DatabaseFaults
{
    public static bool IsUnreachable(Exception ex) => ex switch
    {
        DatabaseUnavailableException => true,
        TimeoutException => true,
        // 08: connection exceptions; 57P01-03: the server is shutting down or starting up.
        PostgresException p => p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState is "57P01" or "57P02" or "57P03",
        // Any other Npgsql error happened on the way to the server (refused, reset, broken stream).
        NpgsqlException => true,
        _ => false,
    };
}

/// <summary>
/// The database is down and what was asked for is not in the local snapshot or cache. A <see cref="TimeoutException"/>,
/// so every handler that already says "the database did not answer" treats it alike.
/// </summary>
public sealed class DatabaseUnavailableException : TimeoutException
{
    public DatabaseUnavailableException()
    {
    }

    public DatabaseUnavailableException(string message) : base(message)
    {
    }

    public DatabaseUnavailableException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
