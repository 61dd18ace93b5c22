using System.Runtime.CompilerServices;
using System.Text;
using Portal.Probes.Contract;

namespace Portal.Probes.Probes.Http;

/// <summary>
/// curl -v, but each phase timed, secrets redacted, the body read only up to a cap, a JSON health
/// payload understood, every redirect checked again, and the outcome classified.
/// </summary>
public sealed class HttpCheckProbe : IProbe
{
    private const int MaxRedirects = 5;

    public ProbeDescriptor Descriptor { get; } = new(
        Kind: "http.check",
        Title: "HTTP check",
        TitleZh: "HTTP 检查",
        Description: "Requests a path on the target and reports DNS, connect, TLS, first byte and transfer times, status, headers, a body excerpt and any JSON health payload.",
        TargetKinds: [TargetKind.Http, TargetKind.Prometheus],
        Parameters:
        [
            new ProbeParameter("path", ParameterType.String, "Path under the target's base URL.", Default: "/health", Pattern: HttpText.PathPattern, MaxLength: 512),
            new ProbeParameter("method", ParameterType.Choice, "HTTP method.", Default: "GET", Choices: ["GET", "HEAD"]),
            new ProbeParameter("expected_status", ParameterType.Integer, "Status code that counts as success.", Default: "200", Min: 100, Max: 599),
            new ProbeParameter("body_contains", ParameterType.String, "Text the body must contain (first 1 MB searched).", MaxLength: 256),
            new ProbeParameter("follow_redirects", ParameterType.Boolean, $"Follow up to {MaxRedirects} redirects, each checked against the target's rules.", Default: "true"),
            new ProbeParameter("timeout_ms", ParameterType.Integer, "Time limit per request, body included.", Default: "10000", Min: 100, Max: 60000),
        ],
        DefaultTimeout: TimeSpan.FromSeconds(30),
        MaxTimeout: TimeSpan.FromSeconds(120));

    public async IAsyncEnumerable<ProbeEvent> RunAsync(ProbeRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        var uri = HttpText.Under(request.Target.BaseUrl, request.Get("path"));
        if (uri is null)
        {
            yield return new Verdict(VerdictStatus.Error, $"Target '{request.Target.Name}' has no http(s) base URL this path can be joined to.");
            yield break;
        }

        var method = request.Get("method") == "HEAD" ? HttpMethod.Head : HttpMethod.Get;
        var expected = request.GetInt("expected_status");
        var follow = request.GetBool("follow_redirects");
        var timeout = TimeSpan.FromMilliseconds(request.GetInt("timeout_ms"));
        using var client = new GuardedHttpClient(request);

        HttpAttempt attempt;
        var redirects = 0;
        while (true)
        {
            yield return new OutputLine($"> {method} {HttpText.Show(uri)}", OutputStream.Info);
            attempt = await client.SendAsync(method, uri, GuardedHttpClient.BodyCap, timeout, ct);
            ct.ThrowIfCancellationRequested();
            foreach (var e in Report(client.TakeConnections(), attempt))
            {
                yield return e;
            }

            if (!attempt.Responded || !follow || !IsRedirect(attempt.Status))
            {
                break;
            }

            var (next, refusal) = NextHop(uri, attempt.Location, redirects);
            if (refusal is not null)
            {
                yield return new Finding("http.status", ProbeText.Number(attempt.Status));
                yield return new Finding("http.redirects", ProbeText.Number(redirects));
                yield return new Finding("http.error", refusal.Value.Error);
                yield return new Verdict(VerdictStatus.Fail, refusal.Value.Message);
                yield break;
            }

            redirects++;
            yield return new OutputLine($"redirect {redirects} → {HttpText.Show(next!)}", OutputStream.Info);
            uri = next!;
        }

        yield return new Finding("http.url", HttpText.Show(uri));
        yield return new Finding("http.redirects", ProbeText.Number(redirects));
        if (!attempt.Responded)
        {
            // A redirect hop the guard refused is a refused redirect, not a refused target.
            var error = redirects > 0 && attempt.Error == "refused_by_policy" ? "redirect_refused" : attempt.Error!;
            yield return new Finding("http.error", error);
            yield return new Verdict(VerdictStatus.Fail, $"{method} {HttpText.Show(uri)}: {error} ({attempt.ErrorDetail}).");
            yield break;
        }

        foreach (var e in Conclude(request, method, uri, expected, attempt))
        {
            yield return e;
        }
    }

    private static IEnumerable<ProbeEvent> Conclude(ProbeRequest request, HttpMethod method, Uri uri, int expected, HttpAttempt attempt)
    {
        yield return new Finding("http.status", ProbeText.Number(attempt.Status));
        yield return new Finding("http.version", HttpAttempt.VersionText(attempt.Version));
        yield return new Finding("http.body_bytes", ProbeText.Number(attempt.Body.Length));
        yield return new Finding("http.body_truncated", ProbeText.Bool(attempt.BodyTruncated));
        if (attempt.ContentType is { } type)
        {
            yield return new Finding("http.content_type", HttpText.Printable(GuardedHttpClient.Shorten(type, 100)));
        }

        var problems = new List<string>();
        var warnings = new List<string>();
        if (attempt.Error is { } bodyError)
        {
            yield return new Finding("http.error", bodyError);
            problems.Add($"the body did not arrive completely ({bodyError})");
        }

        if (attempt.Status != expected)
        {
            problems.Add($"status {attempt.Status}, expected {expected}");
        }

        if (request.GetOptional("body_contains") is { } needle)
        {
            var text = Encoding.UTF8.GetString(attempt.Body);
            var found = text.Contains(needle, StringComparison.Ordinal);
            yield return new Finding("http.body_match", ProbeText.Bool(found));
            yield return new OutputLine($"body {(found ? "contains" : "does not contain")} \"{HttpText.Printable(needle)}\"{(attempt.BodyTruncated ? " (first 1 MB searched)" : string.Empty)}");
            if (!found)
            {
                problems.Add($"the body does not contain \"{HttpText.Printable(needle)}\"");
            }
        }

        if (!attempt.BodyTruncated && attempt.Body.Length > 0 && HealthPayload.TryParse(attempt.Body) is { } health)
        {
            yield return new OutputLine("health: " + (health.Status ?? "(no overall status)")
                + string.Concat(health.Entries.Select(e => $"; {HttpText.Printable(e.Name)}: {e.Status}")));
            foreach (var e in health.Events())
            {
                yield return e;
            }

            var sick = health.Entries.Where(e => e.Status == "unhealthy").Select(e => e.Name).ToList();
            if (health.Status == "unhealthy")
            {
                problems.Add("health says unhealthy" + (sick.Count > 0 ? $" ({string.Join(", ", sick)})" : string.Empty));
            }
            else if (health.Status == "degraded" || sick.Count > 0)
            {
                warnings.Add("health says " + (health.Status ?? "?") + (sick.Count > 0 ? $", unhealthy: {string.Join(", ", sick)}" : string.Empty));
            }
        }

        var said = $"{method} {HttpText.Show(uri)} → {attempt.Status} in {ProbeText.Ms(attempt.Elapsed)}";
        yield return problems.Count > 0
            ? new Verdict(VerdictStatus.Fail, $"{said}: {string.Join("; ", problems)}.")
            : warnings.Count > 0
                ? new Verdict(VerdictStatus.Warn, $"{said}: {string.Join("; ", warnings)}.")
                : new Verdict(VerdictStatus.Pass, $"{said}, as expected.");
    }

    /// <summary>Connection and response lines, and the metrics of this exchange.</summary>
    internal static IEnumerable<ProbeEvent> Report(IReadOnlyList<ConnectionTiming> connections, HttpAttempt attempt)
    {
        var setup = TimeSpan.Zero;
        foreach (var c in connections)
        {
            setup += c.Setup;
            yield return new OutputLine(
                $"* {c.Host} → {c.Endpoint}: dns {ProbeText.Ms(c.Dns)}, connect {ProbeText.Ms(c.Connect)}"
                + (c.Tls is { } tls ? $", tls {ProbeText.Ms(tls)} ({c.TlsProtocol}, {c.Cipher}, alpn {(c.Alpn is { Length: > 0 } a ? a : "none")})" : string.Empty),
                OutputStream.Info);
            yield return new Metric("dns_ms", c.Dns.TotalMilliseconds, "ms");
            yield return new Metric("connect_ms", c.Connect.TotalMilliseconds, "ms");
            if (c.Tls is { } t)
            {
                yield return new Metric("tls_ms", t.TotalMilliseconds, "ms");
                yield return new Finding("http.tls.protocol", c.TlsProtocol ?? "?");
            }
        }

        if (connections.Count == 0 && attempt.Responded)
        {
            yield return new OutputLine("* reused an open connection", OutputStream.Info);
        }

        if (!attempt.Responded)
        {
            yield return new OutputLine($"! {attempt.Error}: {attempt.ErrorDetail} after {ProbeText.Ms(attempt.Elapsed)}", OutputStream.Stderr);
            yield break;
        }

        yield return new OutputLine($"< {HttpAttempt.VersionText(attempt.Version)} {attempt.Status} {HttpText.Printable(attempt.Reason ?? string.Empty)}".TrimEnd());
        foreach (var (name, value) in attempt.Headers.Take(50))
        {
            yield return new OutputLine(HttpText.HeaderLine(name, value));
        }

        var transfer = attempt.Elapsed - attempt.HeadersAt;
        yield return new Metric("ttfb_ms", attempt.HeadersAt.TotalMilliseconds, "ms");
        yield return new Metric("wait_ms", Math.Max(0, (attempt.HeadersAt - setup).TotalMilliseconds), "ms");
        yield return new Metric("transfer_ms", transfer.TotalMilliseconds, "ms");
        yield return new Metric("total_ms", attempt.Elapsed.TotalMilliseconds, "ms");
        yield return new Metric("body_bytes", attempt.Body.Length, "bytes");
        var size = attempt.BodyTruncated
            ? $"first {ProbeText.Number(attempt.Body.Length)} bytes read of {(attempt.ContentLength is { } l ? ProbeText.Number(l) : "more")}; the rest was not read"
            : $"{ProbeText.Number(attempt.Body.Length)} bytes";
        yield return new OutputLine($"first byte {ProbeText.Ms(attempt.HeadersAt)} (server {ProbeText.Ms(attempt.HeadersAt - setup)}), transfer {ProbeText.Ms(transfer)}, body {size}");
        if (attempt.Error is { } e)
        {
            yield return new OutputLine($"! body: {attempt.ErrorDetail} after {ProbeText.Ms(attempt.Elapsed)}", OutputStream.Stderr);
        }

        if (attempt.Body.Length > 0)
        {
            foreach (var line in HttpText.Excerpt(attempt.Body))
            {
                yield return new OutputLine(line);
            }
        }
    }

    internal static bool IsRedirect(int status) => status is 301 or 302 or 303 or 307 or 308;

    /// <summary>Where a redirect leads, or why it is not followed (the guard checks the host when connecting).</summary>
    internal static (Uri? Next, (string Error, string Message)? Refusal) NextHop(Uri current, Uri? location, int redirectsSoFar)
    {
        if (location is null)
        {
            return (null, ("bad_redirect", "The redirect has no usable Location header."));
        }

        var next = location.IsAbsoluteUri ? location : new Uri(current, location);
        if (!HttpText.IsHttp(next))
        {
            return (null, ("scheme_refused", $"Refused to follow a redirect to a {next.Scheme}: URL; only http and https are followed."));
        }

        if (redirectsSoFar >= MaxRedirects)
        {
            return (null, ("too_many_redirects", $"More than {MaxRedirects} redirects (last to {HttpText.Show(next)})."));
        }

        return (next, null);
    }
}
