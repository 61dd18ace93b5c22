using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using Npgsql;
using Portal.Probes.Contract;
using Portal.Probes.Network;

namespace Portal.Probes.Probes.Postgres;

/// <summary>Parameters every PostgreSQL probe shares, and the connection settings they resolve to.</summary>
internal static class PgParameters
{
    /// <summary>A database or role name: what the runbooks pass, nothing a connection string could be smuggled in.</summary>
    public const string IdentifierPattern = "[A-Za-z0-9_][A-Za-z0-9_.$-]{0,62}";

    public static ProbeParameter Database { get; } = new(
        "database", ParameterType.String, "Database to connect to; defaults to the target's database.", Pattern: IdentifierPattern, MaxLength: 63);

    public static ProbeParameter ConnectTimeout { get; } = new(
        "connect_timeout_s", ParameterType.Integer, "Seconds to wait for the connection (TCP, TLS and login).", Default: "5", Min: 1, Max: 60);

    public static ProbeParameter CommandTimeout { get; } = new(
        "command_timeout_s", ParameterType.Integer, "Seconds each query may run.", Default: "10", Min: 1, Max: 120);

    public static IReadOnlyList<TargetKind> Targets { get; } = [TargetKind.Postgres];
}

/// <summary>Where and as whom a probe connects; the password stays a <see cref="Secret"/> until the connection string.</summary>
internal sealed record PgSettings(string Host, int Port, string Database, string Username, Secret? Password, bool UseTls, int ConnectTimeoutS, int CommandTimeoutS)
{
    public static PgSettings? From(ProbeRequest request, string? username = null)
    {
        var (host, port) = TargetEndpoint.Of(request.Target);
        var database = request.GetOptional("database") ?? request.Target.Database ?? "postgres";
        var user = username ?? request.Target.Username;
        if (host is null || port is null || user is null)
        {
            return null;
        }

        return new PgSettings(host, port.Value, database, user, request.Target.Password, request.Target.UseTls,
            request.GetInt("connect_timeout_s"), request.GetInt("command_timeout_s"));
    }

    /// <summary>sslmode=require encrypts without checking the certificate; the TLS preflight follows the same rule.</summary>
    public bool VerifyCertificate { get; init; }

    /// <summary>The connection string for one address. Contains the password: never log or print it.</summary>
    public string ConnectionString(IPAddress address) => new NpgsqlConnectionStringBuilder
    {
        Host = address.ToString(),
        Port = Port,
        Database = Database,
        Username = Username,
        Password = Password?.Reveal(),
        SslMode = UseTls ? SslMode.Require : SslMode.Disable,
        Pooling = false,
        Timeout = ConnectTimeoutS,
        CommandTimeout = CommandTimeoutS,
        ApplicationName = "portal-probe",
        IncludeErrorDetail = false,
    }.ConnectionString;

    /// <summary>What a person may see: no password.</summary>
    public string Describe(IPAddress? address = null) =>
        $"{Username}@{Host}{(address is not null && address.ToString() != Host ? $" ({address})" : "")}:{Port}/{Database}{(UseTls ? " tls" : "")}";
}

/// <summary>A classified failure: the <c>pg.error</c> value, what happened, and what to check.</summary>
internal sealed record PgFailure(string Code, string Message, string Advice, string? SqlState = null, string? TlsDetail = null)
{
    public string Summary => $"{Message} — {Advice}";

    public IEnumerable<ProbeEvent> Events(string? extraLine = null)
    {
        if (extraLine is not null)
        {
            yield return new OutputLine(extraLine, OutputStream.Stderr);
        }

        yield return new OutputLine(Message, OutputStream.Stderr);
        yield return new Finding("pg.error", Code);
        if (SqlState is not null)
        {
            yield return new Finding("pg.sqlstate", SqlState);
        }

        if (TlsDetail is not null)
        {
            yield return new Finding("pg.tls.detail", TlsDetail);
        }

        yield return new Verdict(VerdictStatus.Fail, Summary);
    }
}

/// <summary>Turns Npgsql and socket failures into the <c>pg.error</c> vocabulary the runbooks branch on.</summary>
internal static class PgErrors
{
    public static PgFailure Classify(Exception ex, PgSettings s)
    {
        var where = $"{s.Host}:{s.Port}";
        if (ex is PostgresException pg)
        {
            return FromSqlState(pg.SqlState, pg.MessageText, s);
        }

        for (var e = ex; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException inner:
                    return FromSqlState(inner.SqlState, inner.MessageText, s);
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused }:
                    return new("refused", $"{where} refused the connection",
                        "check that PostgreSQL is running and listening on this address and port (listen_addresses, port)");
                case SocketException { SocketErrorCode: SocketError.TimedOut }:
                case TimeoutException:
                    return new("timeout", $"{where} did not answer within {s.ConnectTimeoutS} s",
                        "check firewalls and security groups between the portal and the server, and whether the server is overloaded");
                case SocketException { SocketErrorCode: SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostDown or SocketError.NetworkDown }:
                    return new("unreachable", $"{where} is unreachable", "check routing and the host's network");
                case AuthenticationException auth:
                    return new("tls_required", $"TLS handshake with {where} failed: {auth.Message}",
                        "check the server's certificate and ssl settings", TlsDetail: "handshake_failed");
            }
        }

        var message = ex.Message;
        if (message.Contains("SSL", StringComparison.OrdinalIgnoreCase) || message.Contains("TLS", StringComparison.OrdinalIgnoreCase))
        {
            return new("tls_required", $"TLS with {where} failed: {message}",
                "the target asks for TLS; check ssl = on and the certificate on the server, or turn TLS off for this target", TlsDetail: "server_has_no_tls");
        }

        if (message.Contains("password", StringComparison.OrdinalIgnoreCase))
        {
            return new("auth_failed", $"the server asks for a password for user {s.Username} and none is configured",
                "set the password of the target");
        }

        if (ex is NpgsqlException or IOException or EndOfStreamException)
        {
            return new("connection_lost", $"the connection to {where} broke: {message}",
                "check the server log; the server may have restarted or a proxy dropped the connection");
        }

        return new("unknown", $"could not talk to {where}: {ex.GetType().Name}: {message}", "see the message above");
    }

    private static PgFailure FromSqlState(string state, string text, PgSettings s) => state switch
    {
        "28P01" => new("auth_failed", text, "check the password in the target", state),
        "28000" when text.Contains("no encryption", StringComparison.OrdinalIgnoreCase) =>
            new("tls_required", text, "the server only accepts TLS connections from here (hostssl in pg_hba.conf); turn TLS on for this target", state, "server_requires_tls"),
        "28000" => new("auth_failed", text,
            $"add a pg_hba.conf entry for user {s.Username}, database {s.Database} and the portal's address, or check the role", state),
        "3D000" => new("database_missing", text, $"check the database name in the target, or create database {s.Database}", state),
        "53300" => new("too_many_connections", text,
            "all connection slots are taken (max_connections or the role's CONNECTION LIMIT): find who holds them (postgres.activity) and fix the pool size", state),
        "42501" => new("permission_denied", text, $"grant CONNECT on database {s.Database} to {s.Username}", state),
        "57P03" => new("starting_up", text, "the server is starting, shutting down or in recovery; wait and retry, check its log", state),
        "57P01" or "57P02" => new("connection_lost", text, "the server was shut down or the connection was terminated by an administrator", state),
        "57014" => new("timeout", text, $"the query ran longer than {s.CommandTimeoutS} s; raise command_timeout_s or look at the load (postgres.activity)", state),
        _ => new("server_error", text, $"SQLSTATE {state}: see the PostgreSQL documentation for this code", state),
    };
}

/// <summary>
/// An open connection for a probe, or the events that explain why there is none (ending in a
/// Fail verdict). One connection per run, never pooled.
/// </summary>
internal sealed class PgSession : IAsyncDisposable
{
    private PgSession(PgSettings settings, IReadOnlyList<ProbeEvent> events, NpgsqlConnection? connection)
    {
        Settings = settings;
        Events = events;
        Connection = connection;
    }

    public PgSettings Settings { get; }

    /// <summary>What happened while connecting; ends with a verdict when <see cref="Connection"/> is null.</summary>
    public IReadOnlyList<ProbeEvent> Events { get; }

    public NpgsqlConnection? Connection { get; }

    /// <summary>Resolves through the network guard and opens a connection to the first allowed address.</summary>
    /// <exception cref="OperationCanceledException">Only when <paramref name="ct"/> is cancelled.</exception>
    public static async Task<PgSession> OpenAsync(ProbeRequest request, PgSettings settings, CancellationToken ct)
    {
        var events = new List<ProbeEvent>();
        var (address, failure) = await ResolveAsync(request, settings, ct);
        if (address is null)
        {
            events.AddRange(failure!.Events());
            return new PgSession(settings, events, null);
        }

        var connection = new NpgsqlConnection(settings.ConnectionString(address));
        var watch = Stopwatch.StartNew();
        try
        {
            await OpenOrDisposeAsync(connection, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            events.AddRange(PgErrors.Classify(ex, settings).Events($"connecting to {settings.Describe(address)} failed after {ProbeText.Ms(watch.Elapsed)}"));
            return new PgSession(settings, events, null);
        }

        events.Add(new OutputLine($"connected to {settings.Describe(address)} in {ProbeText.Ms(watch.Elapsed)} (PostgreSQL {connection.ServerVersion})", OutputStream.Info));
        events.Add(new Metric("connect_ms", watch.Elapsed.TotalMilliseconds, "ms"));
        return new PgSession(settings, events, connection);
    }

    /// <summary>
    /// Opens <paramref name="connection"/>, or disposes it and throws. Npgsql does not always stop
    /// the startup exchange when cancelled (it waits for its own Timeout), so on cancellation the
    /// open is left to finish in the background and the connection is closed when it does.
    /// </summary>
    public static async Task OpenOrDisposeAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var open = connection.OpenAsync(ct);
        try
        {
            await open.WaitAsync(ct);
        }
        catch (OperationCanceledException) when (!open.IsCompleted)
        {
            _ = open.ContinueWith(t =>
            {
                _ = t.Exception;
                connection.Dispose();
            }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            throw;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <returns>The address to use, or the classified refusal (refused_by_policy, dns).</returns>
    public static async Task<(IPAddress? Address, PgFailure? Failure)> ResolveAsync(ProbeRequest request, PgSettings settings, CancellationToken ct)
    {
        try
        {
            var addresses = await request.Network.ResolveAllowedAsync(settings.Host, request.Target, ct);
            return (addresses[0], null);
        }
        catch (AddressRefusedException ex) when (ex.InnerException is SocketException)
        {
            return (null, new PgFailure("dns", $"{settings.Host} does not resolve: {ex.Reason}", "check the host name in the target and the portal's DNS resolver"));
        }
        catch (AddressRefusedException ex)
        {
            return (null, new PgFailure("refused_by_policy", ex.Message, $"nothing was sent; allow the address for target '{request.Target.Name}' if it is right"));
        }
    }

    /// <summary>Runs <paramref name="query"/>; a failure comes back classified instead of thrown.</summary>
    public async Task<(T? Value, PgFailure? Failure)> TryAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> query, CancellationToken ct)
    {
        try
        {
            return (await query(Connection!, ct), null);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && ex is NpgsqlException or IOException or TimeoutException or InvalidOperationException or InvalidCastException)
        {
            return (default, PgErrors.Classify(ex, Settings));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Connection is not null)
        {
            await Connection.DisposeAsync();
        }
    }
}

/// <summary>Small formatting helpers shared by the PostgreSQL probes.</summary>
internal static class PgText
{
    public const int QueryChars = 200;

    /// <summary>One line, at most <see cref="QueryChars"/> characters, "…" when cut.</summary>
    public static string Query(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return "(no query)";
        }

        var oneLine = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return oneLine.Length <= QueryChars ? oneLine : oneLine[..QueryChars] + "…";
    }

    public static string Seconds(double seconds) =>
        seconds < 1 ? ProbeText.Number(Math.Round(seconds * 1000, 1)) + " ms" : ProbeText.Number(Math.Round(seconds, 2)) + " s";

    /// <summary>A query failure: target-side (timeout, broken connection) is Fail with pg.error; anything else the probe could not read is Error.</summary>
    public static IEnumerable<ProbeEvent> QueryFailed(PgFailure failure, string what)
    {
        if (failure.Code is "timeout" or "connection_lost" or "refused" or "unreachable" or "starting_up")
        {
            foreach (var e in failure.Events($"reading {what} failed"))
            {
                yield return e;
            }

            yield break;
        }

        yield return new OutputLine($"reading {what} failed: {failure.Message}", OutputStream.Stderr);
        yield return new Verdict(VerdictStatus.Error, $"Could not read {what}: {failure.Message} ({failure.Advice}).");
    }
}
