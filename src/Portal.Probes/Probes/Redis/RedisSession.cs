using System.Diagnostics;
using System.Net;
using System.Runtime.CompilerServices;
using Portal.Probes.Contract;
using Portal.Probes.Network;

namespace Portal.Probes.Probes.Redis;

/// <summary>The outcome of one command: the reply, or a classified failure (an error reply counts as one).</summary>
internal sealed record RedisCall(RespValue? Value, string? Error, string Detail, TimeSpan Elapsed)
{
    public bool Ok => Error is null;
}

/// <summary>
/// What every Redis probe does first, phase by phase and timed: resolve the target through the
/// network guard, connect (each allowed address in turn), TLS when the target asks for it, AUTH
/// (with the ACL user when the target names one). The password is sent to the server and
/// nowhere else.
/// </summary>
internal sealed class RedisSession : IAsyncDisposable
{
    public const string ErrorKey = "redis.error";

    private readonly ProbeRequest _request;
    private readonly TimeSpan _limit;

    public RedisSession(ProbeRequest request)
    {
        _request = request;
        _limit = TimeSpan.FromMilliseconds(request.GetInt("timeout_ms"));
    }

    /// <summary>The timeout_ms parameter every Redis probe has.</summary>
    public static ProbeParameter TimeoutParameter { get; } =
        new("timeout_ms", ParameterType.Integer, "Time limit for connecting and for each command, in ms.", Default: "3000", Min: 100, Max: 30000);

    public RespClient? Client { get; private set; }

    /// <summary>Set when <see cref="OpenAsync"/> ended the run (it has yielded the verdict).</summary>
    public bool Failed { get; private set; }

    /// <summary>
    /// Connects and authenticates, streaming what happens. On failure it yields the classified
    /// <c>redis.error</c> finding and the verdict, and sets <see cref="Failed"/>: the probe stops.
    /// </summary>
    public async IAsyncEnumerable<ProbeEvent> OpenAsync([EnumeratorCancellation] CancellationToken ct)
    {
        // Failed until every phase has succeeded: each early exit below has yielded the verdict.
        Failed = true;
        var target = _request.Target;
        var (host, port) = TargetEndpoint.Of(target);
        if (host is null || port is null)
        {
            yield return new Verdict(VerdictStatus.Error, $"Target '{target.Name}' has no host and port to connect to.");
            yield break;
        }

        var literal = IPAddress.TryParse(host.Trim('[', ']'), out _);
        if (!literal)
        {
            yield return new OutputLine($"Resolving {host}…", OutputStream.Info);
        }

        var watch = Stopwatch.StartNew();
        var (addresses, refusal) = await ResolveAsync(host, ct);
        if (refusal is not null)
        {
            yield return new Finding(ErrorKey, refusal.Reason.StartsWith("DNS", StringComparison.Ordinal) ? "dns" : "refused_by_policy");
            yield return new Verdict(VerdictStatus.Fail, refusal.Message);
            yield break;
        }

        yield return new Metric("dns_ms", watch.Elapsed.TotalMilliseconds, "ms");
        if (!literal)
        {
            yield return new OutputLine($"{host} → {string.Join(", ", addresses)} ({ProbeText.Ms(watch.Elapsed)})");
        }

        string? error = null;
        string? detail = null;
        foreach (var address in addresses)
        {
            watch.Restart();
            (Client, error, detail) = await ConnectAsync(address, port.Value, ct);
            if (Client is not null)
            {
                yield return new Metric("connect_ms", watch.Elapsed.TotalMilliseconds, "ms");
                yield return new OutputLine($"Connected to {Endpoint(address, port.Value)} in {ProbeText.Ms(watch.Elapsed)}");
                break;
            }

            yield return new OutputLine($"{Endpoint(address, port.Value)}: {error} after {ProbeText.Ms(watch.Elapsed)} ({detail})", OutputStream.Stderr);
        }

        if (Client is null)
        {
            foreach (var e in Fail(error!, $"Cannot connect to {host}:{port}"))
            {
                yield return e;
            }

            yield break;
        }

        if (target.UseTls)
        {
            watch.Restart();
            (var tls, error, detail) = await StartTlsAsync(host, ct);
            if (error is not null)
            {
                yield return new OutputLine($"TLS handshake with {host} failed after {ProbeText.Ms(watch.Elapsed)}: {detail}", OutputStream.Stderr);
                foreach (var e in Fail(error, $"TLS to {host}:{port} failed ({detail})"))
                {
                    yield return e;
                }

                yield break;
            }

            yield return new Metric("tls_ms", watch.Elapsed.TotalMilliseconds, "ms");
            yield return new OutputLine($"TLS {tls} in {ProbeText.Ms(watch.Elapsed)}");
        }

        if (target.Password is { } password)
        {
            var who = target.Username is { Length: > 0 } user ? $"user '{user}'" : "the default user";
            string[] auth = target.Username is { Length: > 0 } name ? ["AUTH", name, password.Reveal()] : ["AUTH", password.Reveal()];
            var call = await CallAsync(auth, ct);
            if (call.Error is null)
            {
                yield return new Metric("auth_ms", call.Elapsed.TotalMilliseconds, "ms");
                yield return new OutputLine($"AUTH as {who}: OK ({ProbeText.Ms(call.Elapsed)})");
            }
            else if (call.Detail.Contains("without any password configured", StringComparison.Ordinal)
                     || call.Detail.Contains("no password is set", StringComparison.Ordinal))
            {
                // redis-cli carries on here too: the server simply has no password.
                yield return new Finding("redis.auth", "not_required");
                yield return new OutputLine("AUTH: the server has no password configured; continuing without one (the target's password is not needed).", OutputStream.Info);
            }
            else
            {
                yield return new OutputLine($"AUTH as {who}: {Scrub(call.Detail)}", OutputStream.Stderr);
                foreach (var e in Fail(call.Error, $"AUTH as {who} on {host}:{port} failed"))
                {
                    yield return e;
                }

                yield break;
            }
        }

        Failed = false;
    }

    /// <summary>
    /// Runs one command with the per-command time limit. A cancelled run propagates as
    /// <see cref="OperationCanceledException"/>; everything else comes back classified.
    /// </summary>
    public async Task<RedisCall> CallAsync(IReadOnlyList<string> args, CancellationToken ct)
    {
        if (Client is null)
        {
            return new RedisCall(null, "client_error", "not connected", TimeSpan.Zero);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_limit);
        var watch = Stopwatch.StartNew();
        try
        {
            var value = await Client.ExecuteAsync(args, timeout.Token);
            return value.IsError
                ? new RedisCall(value, RedisErrors.ClassifyReply(value.Text ?? string.Empty), value.Text ?? string.Empty, watch.Elapsed)
                : new RedisCall(value, null, string.Empty, watch.Elapsed);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new RedisCall(null, "timeout", $"no reply within {_limit.TotalMilliseconds:0} ms", watch.Elapsed);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new RedisCall(null, RedisErrors.ClassifyException(ex, timedOut: false), ex.Message, watch.Elapsed);
        }
    }

    public Task<RedisCall> CallAsync(CancellationToken ct, params string[] args) => CallAsync((IReadOnlyList<string>)args, ct);

    /// <summary>Runs INFO &lt;section&gt; and parses it; a failed call comes back as the call.</summary>
    public async Task<(RedisInfo? Info, RedisCall Call)> InfoAsync(string section, CancellationToken ct)
    {
        var call = await CallAsync(ct, "INFO", section);
        return call.Ok && call.Value is { Type: RespType.BulkString, Text: { } text }
            ? (RedisInfo.Parse(text), call)
            : (null, call.Ok ? call with { Error = "protocol", Detail = "INFO did not return text" } : call);
    }

    /// <summary>
    /// INFO for each section in turn. On the first failure <c>Sections</c> is null and
    /// <c>Failure</c> is how the run ends (the server's message, the finding, the verdict).
    /// </summary>
    public async Task<(IReadOnlyList<RedisInfo>? Sections, IEnumerable<ProbeEvent> Failure)> InfoSectionsAsync(
        CancellationToken ct, params string[] sections)
    {
        var result = new List<RedisInfo>(sections.Length);
        foreach (var section in sections)
        {
            var (info, call) = await InfoAsync(section, ct);
            if (info is null)
            {
                return (null, Fail(call, $"INFO {section}"));
            }

            result.Add(info);
        }

        return (result, []);
    }

    /// <summary>The end of a run that failed on the target: the finding, then the Fail verdict.</summary>
    public static IEnumerable<ProbeEvent> Fail(string error, string what)
    {
        yield return new Finding(ErrorKey, error);
        yield return new Verdict(VerdictStatus.Fail, $"{what}: {RedisErrors.Describe(error)} ({error}).");
    }

    /// <summary>The end of a run whose command failed: the server's own message (scrubbed), the finding, the verdict.</summary>
    public IEnumerable<ProbeEvent> Fail(RedisCall call, string command)
    {
        yield return new OutputLine($"{command}: {Scrub(call.Detail)}", OutputStream.Stderr);
        foreach (var e in Fail(call.Error!, $"{command} failed"))
        {
            yield return e;
        }
    }

    /// <summary>Removes the target's password from a server message, should one ever echo it.</summary>
    public string Scrub(string text)
    {
        foreach (var secret in _request.Target.SecretValues)
        {
            if (secret.Length > 0)
            {
                text = text.Replace(secret, Secret.Mask, StringComparison.Ordinal);
            }
        }

        return text.Length > 300 ? text[..300] + "…" : text;
    }

    private async Task<(IReadOnlyList<IPAddress> Addresses, AddressRefusedException? Refusal)> ResolveAsync(string host, CancellationToken ct)
    {
        try
        {
            return (await _request.Network.ResolveAllowedAsync(host, _request.Target, ct), null);
        }
        catch (AddressRefusedException ex)
        {
            return ([], ex);
        }
    }

    private async Task<(RespClient? Client, string? Error, string? Detail)> ConnectAsync(IPAddress address, int port, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_limit);
        try
        {
            return (await RespClient.ConnectAsync(address, port, timeout.Token), null, null);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (null, "timeout", $"no connection within {_limit.TotalMilliseconds:0} ms");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return (null, RedisErrors.ClassifyException(ex, timedOut: false), ex.Message);
        }
    }

    private async Task<(string? Description, string? Error, string? Detail)> StartTlsAsync(string host, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_limit);
        try
        {
            var ssl = await Client!.StartTlsAsync(host.Trim('[', ']'), timeout.Token);
            return ($"{ssl.SslProtocol} {ssl.NegotiatedCipherSuite}", null, null);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The TCP connection is up, so a silent handshake is a TLS mismatch: a plain Redis waits for a line that never comes.
            return (null, "tls", $"no TLS handshake within {_limit.TotalMilliseconds:0} ms; does the server listen for TLS on this port?");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return (null, RedisErrors.ClassifyException(ex, timedOut: false), ex.InnerException?.Message ?? ex.Message);
        }
    }

    private static string Endpoint(IPAddress address, int port) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]:{port}" : $"{address}:{port}";

    public async ValueTask DisposeAsync()
    {
        if (Client is not null)
        {
            await Client.DisposeAsync();
        }
    }
}
