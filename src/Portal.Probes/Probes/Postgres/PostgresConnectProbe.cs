using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Npgsql;
using Portal.Probes.Contract;

namespace Portal.Probes.Probes.Postgres;

/// <summary>
/// <c>psql -c "SELECT version()"</c>, phase by phase: DNS, TCP, TLS, login and the query, each
/// timed, and a failure named (refused, timeout, auth_failed, database_missing,
/// too_many_connections, tls_required…) with what to check.
/// </summary>
public sealed class PostgresConnectProbe : IProbe
{
    private static readonly string[] Queries = ["SELECT version();", "SELECT 1;"];

    public ProbeDescriptor Descriptor { get; } = new(
        Kind: "postgres.connect",
        Title: "PostgreSQL connect",
        TitleZh: "PostgreSQL 连接测试",
        Description: "Connects to PostgreSQL phase by phase (DNS, TCP, TLS, login, query), times each phase and reports the server version or why it failed.",
        TargetKinds: PgParameters.Targets,
        Parameters:
        [
            PgParameters.Database,
            new ProbeParameter("user", ParameterType.String, "Role to log in as; must be the target's user (the target holds its password).",
                Pattern: PgParameters.IdentifierPattern, MaxLength: 63),
            new ProbeParameter("query", ParameterType.Choice, "Query to run once logged in.", Default: Queries[0], Choices: Queries),
            PgParameters.ConnectTimeout,
            PgParameters.CommandTimeout,
        ],
        DefaultTimeout: TimeSpan.FromSeconds(20),
        MaxTimeout: TimeSpan.FromSeconds(120));

    public async IAsyncEnumerable<ProbeEvent> RunAsync(ProbeRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        var user = request.GetOptional("user");
        if (user is not null && request.Target.Username is { } configured && !string.Equals(user, configured, StringComparison.Ordinal))
        {
            yield return new Verdict(VerdictStatus.Error,
                $"Target '{request.Target.Name}' holds the credentials of user {configured}, not {user}; add a target for {user} to test it.");
            yield break;
        }

        if (PgSettings.From(request, user) is not { } s)
        {
            yield return new Verdict(VerdictStatus.Error, $"Target '{request.Target.Name}' has no host, port or user to connect with.");
            yield break;
        }

        var total = Stopwatch.StartNew();

        // DNS, through the network guard: the address we connect to is the one it allowed.
        yield return new OutputLine($"resolving {s.Host}…", OutputStream.Info);
        var watch = Stopwatch.StartNew();
        var (address, refused) = await PgSession.ResolveAsync(request, s, ct);
        if (address is null)
        {
            foreach (var e in refused!.Events())
            {
                yield return e;
            }

            yield break;
        }

        yield return new Metric("dns_ms", watch.Elapsed.TotalMilliseconds, "ms");
        yield return new OutputLine($"dns   {s.Host} → {address} ({ProbeText.Ms(watch.Elapsed)})");

        // TCP and TLS on a socket of our own, so each phase has its own time and its own failure.
        var pre = await PreflightAsync(address, s, ct);
        yield return new Metric("tcp_ms", pre.TcpElapsed.TotalMilliseconds, "ms");
        if (pre.Failure is null || pre.TlsElapsed is not null)
        {
            yield return new OutputLine($"tcp   {address}:{s.Port} connected ({ProbeText.Ms(pre.TcpElapsed)})");
        }

        if (pre.TlsElapsed is { } tlsElapsed)
        {
            yield return new Metric("tls_ms", tlsElapsed.TotalMilliseconds, "ms");
        }

        if (pre.TlsLine is not null)
        {
            yield return new OutputLine(pre.TlsLine);
        }

        if (pre.Failure is not null)
        {
            foreach (var e in pre.Failure.Events())
            {
                yield return e;
            }

            yield break;
        }

        // Login (Npgsql opens its own connection: TCP + TLS + startup; the login time is what is left).
        var login = await LoginAsync(address, s, request.Get("query"), ct);
        if (login.Failure is not null)
        {
            yield return new OutputLine(login.LoggedIn
                ? $"query {request.Get("query")} failed after {ProbeText.Ms(login.QueryElapsed)}"
                : $"login {s.Username} → {s.Database} failed after {ProbeText.Ms(login.OpenElapsed)}", OutputStream.Stderr);
            foreach (var e in login.Failure.Events())
            {
                yield return e;
            }

            yield break;
        }

        var authMs = Math.Max(0, login.OpenElapsed.TotalMilliseconds - pre.TcpElapsed.TotalMilliseconds - (pre.TlsElapsed?.TotalMilliseconds ?? 0));
        yield return new Metric("auth_ms", authMs, "ms");
        yield return new OutputLine($"login {s.Username} → {s.Database} ok ({ProbeText.Number(Math.Round(authMs, 1))} ms; connection opened in {ProbeText.Ms(login.OpenElapsed)})");
        yield return new Metric("query_ms", login.QueryElapsed.TotalMilliseconds, "ms");
        yield return new OutputLine($"query {request.Get("query")} ({ProbeText.Ms(login.QueryElapsed)})");
        yield return new OutputLine(login.Version!);
        yield return new Finding("pg.version", login.Version!);
        yield return new Finding("pg.server_version_num", login.VersionNum!);
        yield return new Finding("pg.tls", ProbeText.Bool(login.Encrypted));
        yield return new Metric("total_ms", total.Elapsed.TotalMilliseconds, "ms");
        yield return new Verdict(VerdictStatus.Pass,
            $"Connected to {s.Describe()} as {s.Username} in {ProbeText.Ms(total.Elapsed)}: {ShortVersion(login.Version!)}.");
    }

    private sealed record Preflight(TimeSpan TcpElapsed, TimeSpan? TlsElapsed, string? TlsLine, PgFailure? Failure);

    /// <summary>TCP connect, then (when the target wants TLS) PostgreSQL's SSLRequest and a TLS handshake.</summary>
    private static async Task<Preflight> PreflightAsync(IPAddress address, PgSettings s, CancellationToken ct)
    {
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(TimeSpan.FromSeconds(s.ConnectTimeoutS));
        var watch = Stopwatch.StartNew();
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, s.Port), limit.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new(watch.Elapsed, null, null, PgErrors.Classify(new TimeoutException(), s));
        }
        catch (SocketException ex)
        {
            return new(watch.Elapsed, null, null, PgErrors.Classify(ex, s));
        }

        var tcp = watch.Elapsed;
        if (!s.UseTls)
        {
            return new(tcp, null, "tls   not requested by the target (sslmode=disable)", null);
        }

        watch.Restart();
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        try
        {
            // SSLRequest: length 8, code 80877103. The server answers one byte: 'S' (go ahead) or 'N'.
            var request = new byte[8];
            BinaryPrimitives.WriteInt32BigEndian(request, 8);
            BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(4), 80877103);
            await stream.WriteAsync(request, limit.Token);
            var answer = new byte[1];
            var read = await stream.ReadAsync(answer, limit.Token);
            if (read == 0 || answer[0] != (byte)'S')
            {
                return new(tcp, watch.Elapsed, $"tls   server answered SSLRequest with '{(read == 0 ? "EOF" : ((char)answer[0]).ToString())}'",
                    new PgFailure("tls_required", $"the target wants TLS but {s.Host}:{s.Port} does not offer it (ssl = off on the server)",
                        "turn ssl on in postgresql.conf (with a certificate), or set the target to connect without TLS", TlsDetail: "server_has_no_tls"));
            }

            // Like Npgsql's sslmode=require: encrypted, certificate recorded but not enforced (tls.inspect judges certificates).
            var certErrors = SslPolicyErrors.None;
            await using var tls = new SslStream(stream, leaveInnerStreamOpen: true, (_, _, _, errors) =>
            {
                certErrors = errors;
                return errors == SslPolicyErrors.None || !s.VerifyCertificate;
            });
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = s.Host }, limit.Token);
            var cert = tls.RemoteCertificate;
            var verified = certErrors == SslPolicyErrors.None ? "verified" : $"not verified ({certErrors})";
            return new(tcp, watch.Elapsed,
                $"tls   {tls.SslProtocol} {tls.NegotiatedCipherSuite} ({ProbeText.Ms(watch.Elapsed)}){(cert is null ? "" : $"; certificate {cert.Subject}, {verified}")}", null);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new(tcp, watch.Elapsed, null, new PgFailure("timeout", $"the TLS handshake with {s.Host}:{s.Port} did not finish within {s.ConnectTimeoutS} s",
                "check that this port is PostgreSQL and that nothing in between intercepts TLS", TlsDetail: "handshake_timeout"));
        }
        catch (Exception ex) when (ex is IOException or SocketException or System.Security.Authentication.AuthenticationException)
        {
            return new(tcp, watch.Elapsed, null, new PgFailure("tls_required", $"the TLS handshake with {s.Host}:{s.Port} failed: {ex.Message}",
                "check the server's ssl settings and certificate", TlsDetail: "handshake_failed"));
        }
    }

    private sealed record Login(TimeSpan OpenElapsed, TimeSpan QueryElapsed, string? Version, string? VersionNum, bool Encrypted, PgFailure? Failure)
    {
        public bool LoggedIn => QueryElapsed > TimeSpan.Zero;
    }

    private static async Task<Login> LoginAsync(IPAddress address, PgSettings s, string query, CancellationToken ct)
    {
        var connection = new NpgsqlConnection(s.ConnectionString(address));
        var watch = Stopwatch.StartNew();
        try
        {
            await PgSession.OpenOrDisposeAsync(connection, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            return new(watch.Elapsed, default, null, null, false, PgErrors.Classify(ex, s));
        }

        await using var owned = connection;

        var opened = watch.Elapsed;
        watch.Restart();
        try
        {
            await using var command = new NpgsqlCommand(query, connection);
            var result = await command.ExecuteScalarAsync(ct);
            var queried = watch.Elapsed;
            await using var facts = new NpgsqlCommand("SELECT version(), current_setting('server_version_num'), coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)", connection);
            await using var reader = await facts.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            var version = query.StartsWith("SELECT version", StringComparison.Ordinal) ? Convert.ToString(result, System.Globalization.CultureInfo.InvariantCulture)! : reader.GetString(0);
            return new(opened, queried, version, reader.GetString(1), reader.GetBoolean(2), null);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            return new(opened, watch.Elapsed, null, null, false, PgErrors.Classify(ex, s));
        }
    }

    /// <summary>"PostgreSQL 15.18 (Debian …) on x86_64…" → "PostgreSQL 15.18".</summary>
    internal static string ShortVersion(string version)
    {
        var parts = version.Split(' ', 3);
        return parts.Length >= 2 ? $"{parts[0]} {parts[1]}" : version;
    }
}
