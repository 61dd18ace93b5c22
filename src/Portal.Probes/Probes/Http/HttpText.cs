using System.Text;
using System.Text.Json;
using Portal.Probes.Contract;

namespace Portal.Probes.Probes.Http;

/// <summary>Turning responses into safe, short lines and findings: URLs, headers, bodies, health payloads.</summary>
internal static class HttpText
{
    public const string Redacted = "[redacted]";

    /// <summary>A path under the base: starts with '/', not '//' (another host), no spaces or backslashes.</summary>
    public const string PathPattern = @"/(?!/)[^\s\\]*";

    private static readonly string[] SecretHeaderParts = ["authorization", "cookie", "token", "secret", "key", "auth", "session", "password", "signature", "credential"];

    /// <summary>The target's base URL joined with <paramref name="path"/>; null when that would leave the target's host or use another scheme than http/https.</summary>
    public static Uri? Under(string? baseUrl, string path)
    {
        if (baseUrl is null || !Uri.TryCreate(baseUrl, UriKind.Absolute, out var root) || !IsHttp(root))
        {
            return null;
        }

        var joined = root.GetLeftPart(UriPartial.Path).TrimEnd('/') + path;
        return Uri.TryCreate(joined, UriKind.Absolute, out var uri) && IsHttp(uri)
               && string.Equals(uri.Authority, root.Authority, StringComparison.OrdinalIgnoreCase)
            ? uri
            : null;
    }

    public static bool IsHttp(Uri uri) => uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps;

    /// <summary>A URL without user info (never print credentials embedded in a URL).</summary>
    public static string Show(Uri uri) =>
        uri.IsAbsoluteUri && uri.UserInfo.Length > 0
            ? new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty }.Uri.ToString()
            : HttpGuardedShorten(uri.ToString());

    private static string HttpGuardedShorten(string s) => GuardedHttpClient.Shorten(s, 300);

    public static bool IsSecretHeader(string name)
    {
        var lower = name.ToLowerInvariant();
        return SecretHeaderParts.Any(part => lower.Contains(part, StringComparison.Ordinal));
    }

    public static string HeaderLine(string name, string value) =>
        $"< {name}: {(IsSecretHeader(name) ? Redacted : GuardedHttpClient.Shorten(Printable(value), 200))}";

    /// <summary>Control characters become '·' so a hostile body cannot forge lines or terminal escapes.</summary>
    public static string Printable(string s)
    {
        var b = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            b.Append(char.IsControl(c) && c != '\t' ? '·' : c);
        }

        return b.ToString();
    }

    /// <summary>The first <paramref name="maxBytes"/> of a body as lines of text (at most <paramref name="maxLines"/>).</summary>
    public static IEnumerable<string> Excerpt(byte[] body, int maxBytes = 2048, int maxLines = 40)
    {
        var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, maxBytes));
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        foreach (var line in lines.Take(maxLines))
        {
            yield return "  " + GuardedHttpClient.Shorten(Printable(line), 300);
        }

        if (lines.Length > maxLines || body.Length > maxBytes)
        {
            yield return "  …";
        }
    }

    /// <summary>A finding key segment: lower-case, [a-z0-9_-], at most 64 characters.</summary>
    public static string KeySegment(string name)
    {
        var b = new StringBuilder();
        foreach (var c in name.ToLowerInvariant())
        {
            b.Append(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-' ? c : '_');
        }

        var s = b.ToString().Trim('_');
        return s.Length == 0 ? "_" : s.Length > 64 ? s[..64] : s;
    }

    /// <summary>
    /// Health statuses as the walkthrough compares them: up/ok/pass → healthy, down/fail/error/critical →
    /// unhealthy, warn → degraded; anything else lower-cased as said.
    /// </summary>
    public static string NormalizeHealth(string raw) => raw.Trim().ToLowerInvariant() switch
    {
        "up" or "ok" or "pass" or "passing" or "healthy" or "green" => "healthy",
        "down" or "fail" or "failed" or "failing" or "error" or "critical" or "unhealthy" or "red" => "unhealthy",
        "warn" or "warning" or "degraded" or "yellow" => "degraded",
        var other => other,
    };
}

/// <summary>
/// A JSON health payload: the overall status and each dependency's. Understands the common shapes —
/// ASP.NET Core ({"status","entries"|"checks"}), Spring Boot ({"status":"UP","components"}),
/// IETF draft health+json ({"status":"pass","checks":{"name":[{status}]}}) and plain
/// {"status","dependencies":{"db":"ok"}} — with "state" accepted for "status".
/// </summary>
internal sealed record HealthPayload(string? Status, string? RawStatus, IReadOnlyList<(string Name, string Status)> Entries)
{
    private static readonly string[] EntryContainers = ["checks", "dependencies", "components", "entries", "services"];

    public static HealthPayload? TryParse(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 32, AllowTrailingCommas = true });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var raw = StatusOf(doc.RootElement);
            var entries = new List<(string, string)>();
            foreach (var container in EntryContainers)
            {
                if (doc.RootElement.TryGetProperty(container, out var c))
                {
                    Collect(c, entries);
                }
            }

            if (raw is null && entries.Count == 0)
            {
                return null;
            }

            var status = raw is not null ? HttpText.NormalizeHealth(raw) : Worst(entries.Select(e => e.Item2));
            return new HealthPayload(status, raw, entries.Take(50).ToList());
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void Collect(JsonElement container, List<(string, string)> entries)
    {
        if (container.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in container.EnumerateObject())
            {
                var value = property.Value;
                if (value.ValueKind == JsonValueKind.Array && value.GetArrayLength() > 0)
                {
                    value = value[0]; // health+json: "name": [ { "status": ... } ]
                }

                if (StatusOf(value) is { } s)
                {
                    entries.Add((property.Name, HttpText.NormalizeHealth(s)));
                }
            }
        }
        else if (container.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in container.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Object && NameOf(item) is { } name && StatusOf(item) is { } s)
                {
                    entries.Add((name, HttpText.NormalizeHealth(s)));
                }
            }
        }
    }

    private static string? StatusOf(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.True => "healthy",
        JsonValueKind.False => "unhealthy",
        JsonValueKind.Object => Text(e, "status") ?? Text(e, "state") ?? Text(e, "health"),
        _ => null,
    };

    private static string? NameOf(JsonElement e) => Text(e, "name") ?? Text(e, "id") ?? Text(e, "component");

    private static string? Text(JsonElement e, string name)
    {
        foreach (var p in e.EnumerateObject())
        {
            if (p.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return p.Value.ValueKind switch
                {
                    JsonValueKind.String => p.Value.GetString(),
                    JsonValueKind.True => "healthy",
                    JsonValueKind.False => "unhealthy",
                    _ => null,
                };
            }
        }

        return null;
    }

    private static string Worst(IEnumerable<string> statuses)
    {
        var all = statuses.ToList();
        return all.Contains("unhealthy") ? "unhealthy" : all.Contains("degraded") ? "degraded" : all.All(s => s == "healthy") ? "healthy" : all[0];
    }

    public IEnumerable<ProbeEvent> Events()
    {
        if (Status is not null)
        {
            yield return new Finding("http.health.status", Status);
        }

        foreach (var (name, status) in Entries)
        {
            yield return new Finding($"http.health.{HttpText.KeySegment(name)}.status", status);
        }
    }
}
