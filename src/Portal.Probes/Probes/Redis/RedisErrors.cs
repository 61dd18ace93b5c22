using System.Net.Sockets;
using System.Security.Authentication;

namespace Portal.Probes.Probes.Redis;

/// <summary>
/// Turns what went wrong into the value of the finding <c>redis.error</c>, which runbooks branch
/// on: refused, timeout, unreachable, dns, refused_by_policy, tls, auth_failed, loading,
/// too_many_clients, protected_mode, no_permission, busy, misconf, masterdown, closed, protocol,
/// server_error.
/// </summary>
internal static class RedisErrors
{
    /// <summary>Classifies an error reply ("-NOAUTH Authentication required.").</summary>
    public static string ClassifyReply(string error)
    {
        var code = error.Split(' ', 2)[0];
        return code switch
        {
            "NOAUTH" or "WRONGPASS" => "auth_failed",
            "LOADING" => "loading",
            "DENIED" => "protected_mode",
            "NOPERM" => "no_permission",
            "BUSY" => "busy",
            "MISCONF" => "misconf",
            "MASTERDOWN" => "masterdown",
            "ERR" when Contains(error, "invalid password") || Contains(error, "invalid username-password") => "auth_failed",
            "ERR" when Contains(error, "max number of clients") => "too_many_clients",
            _ => "server_error",
        };
    }

    /// <summary>Classifies an exception from connecting, TLS or reading a reply.</summary>
    /// <param name="timedOut">True when our own time limit (not the run's cancellation) fired.</param>
    public static string ClassifyException(Exception ex, bool timedOut)
    {
        if (timedOut)
        {
            return "timeout";
        }

        return ex switch
        {
            SocketException s => ClassifySocket(s.SocketErrorCode),
            IOException { InnerException: SocketException s } => ClassifySocket(s.SocketErrorCode),
            AuthenticationException => "tls",
            EndOfStreamException => "closed",
            RespProtocolException => "protocol",
            IOException => "closed",
            _ => "client_error",
        };
    }

    /// <summary>Says in words what a class means, for the verdict.</summary>
    public static string Describe(string kind) => kind switch
    {
        "refused" => "connection refused: nothing listens on that port, or a firewall rejects it",
        "timeout" => "no answer within the time limit",
        "unreachable" => "host or network unreachable",
        "reset" => "the connection was reset",
        "tls" => "the TLS handshake failed",
        "auth_failed" => "authentication failed (missing or wrong password, or wrong ACL user)",
        "loading" => "Redis is loading its dataset from disk and answers LOADING until it is done",
        "too_many_clients" => "maxclients reached: the server refuses new clients",
        "protected_mode" => "the server runs in protected mode and refuses non-loopback clients without a password",
        "no_permission" => "the ACL user may not run this command",
        "busy" => "a script or function is running and blocks the server",
        "misconf" => "the server refuses writes because the last RDB save failed",
        "masterdown" => "the replica has lost its link to the master",
        "closed" => "the server closed the connection",
        "protocol" => "the reply is not valid RESP: is this a Redis server?",
        _ => "the server returned an error",
    };

    private static string ClassifySocket(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => "refused",
        SocketError.TimedOut => "timeout",
        SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostDown or SocketError.NetworkDown => "unreachable",
        SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown => "reset",
        _ => error.ToString().ToLowerInvariant(),
    };

    private static bool Contains(string text, string part) => text.Contains(part, StringComparison.OrdinalIgnoreCase);
}
