using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Probes.Contract;
using Portal.Probes.Ssh;
using Portal.Web.Auth;
using Portal.Web.Inventory;
using Portal.Web.Resilience;

namespace Portal.Web.Api;

/// <summary>The target inventory as an API, so teams can keep it as code. Passwords are write-only.</summary>
public static partial class InventoryEndpoints
{
    public static IEndpointRouteBuilder MapInventoryApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/environments").WithTags("Inventory");
        group.MapGet("/", async (InventoryStore store, CancellationToken ct) => TypedResults.Ok(await store.ListEnvironmentsAsync(ct)))
            .WithName("ListEnvironments").WithSummary("Environments and how many targets each has.").RequireAuthorization(PortalRoles.Viewer);
        group.MapGet("/{environment}/targets", ListTargetsAsync).RequireAuthorization(PortalRoles.Viewer)
            .WithName("ListTargets").WithSummary("The targets of an environment (passwords never included; hasPassword says whether one is set), each with its circuit breaker's state.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPut("/{environment}/targets/{name}", PutTargetAsync).RequireAuthorization(PortalRoles.Admin)
            .WithName("PutTarget").WithSummary("Creates or replaces a target. password: omitted or null keeps the stored one, \"\" removes it.")
            .ProducesValidationProblem();
        group.MapDelete("/{environment}/targets/{name}", DeleteTargetAsync).RequireAuthorization(PortalRoles.Admin)
            .WithName("DeleteTarget").WithSummary("Removes a target.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/{environment}/targets/{name}/ssh", SshEndpoints.StatusAsync).RequireAuthorization(PortalRoles.Viewer)
            .WithName("GetTargetSsh").WithSummary("Connects to a host target's SSH server: reachable or why not (host key unknown/changed, authentication…), the pinned and the presented host key fingerprint.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{environment}/targets/{name}/ssh/trust", SshEndpoints.TrustAsync).RequireAuthorization(PortalRoles.Admin)
            .WithName("TrustTargetHostKey").WithSummary("Pins the host key the SSH server presents now, if it is the fingerprint given (what the admin checked). Audited.")
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return endpoints;
    }

    internal static async Task<Results<Ok<List<TargetDto>>, ProblemHttpResult>> ListTargetsAsync(
        string environment, InventoryStore store, TargetBreakers breakers, CancellationToken ct)
    {
        if (!await store.EnvironmentExistsAsync(environment, ct))
        {
            return TypedResults.Problem(title: "Environment not found", detail: $"There is no environment '{Clip(environment)}'.", statusCode: 404);
        }

        return TypedResults.Ok((await store.ListTargetsAsync(environment, ct)).Select(t => TargetDto.From(t, breakers)).ToList());
    }

    internal static async Task<Results<Ok<TargetDto>, ValidationProblem>> PutTargetAsync(
        string environment, string name, TargetInput input, InventoryStore store, TargetBreakers breakers, AuditLog audit, HttpContext http,
        CancellationToken ct)
    {
        var errors = Validate(environment, name, input, out var kind);
        var who = http.User.Identity?.Name ?? "";
        if (errors.Count > 0)
        {
            await audit.WriteAsync(who, AuthEndpoints.Source(http), "target.put", $"{Clip(environment)}/{Clip(name)}", "refused",
                new { errors = errors.Keys }, ct);
            return TypedResults.ValidationProblem(errors, title: "The target was not saved");
        }

        await store.EnsureEnvironmentAsync(environment, "", ct);
        var record = new TargetRecord
        {
            Environment = environment, Name = name, Role = input.Role!, Kind = kind,
            Host = Blank(input.Host), Port = input.Port, BaseUrl = Blank(input.BaseUrl), Database = Blank(input.Database),
            Username = Blank(input.Username), UseTls = input.UseTls, LogPaths = input.LogPaths ?? [], Units = input.Units ?? [],
            AllowLoopback = input.AllowLoopback, AllowPrivate = input.AllowPrivate,
        };
        record = record with
        {
            SshHost = Blank(input.SshHost), SshPort = Blank(input.SshHost) is null ? null : input.SshPort ?? 22, SshUser = Blank(input.SshUser),
            SshHostKey = SshFingerprint.Normalize(input.SshHostKey),
        };
        await store.UpsertTargetAsync(record, input.Password, input.SshPrivateKey, keepHostKey: input.SshHostKey is null, ct);
        // A changed target (perhaps a new address) deserves a fresh try.
        await breakers.ResetAsync(environment, name);
        await audit.WriteAsync(who, AuthEndpoints.Source(http), "target.put", $"{environment}/{name}", "success",
            new
            {
                input.Role, input.Kind, input.Host, input.Port, input.BaseUrl, password = input.Password is null ? "kept" : input.Password.Length == 0 ? "removed" : "changed",
                input.SshHost, input.SshPort, input.SshUser, sshPrivateKey = input.SshPrivateKey is null ? "kept" : input.SshPrivateKey.Length == 0 ? "removed" : "changed",
                sshHostKey = input.SshHostKey is null ? "kept" : record.SshHostKey ?? "removed",
            }, ct);
        return TypedResults.Ok(TargetDto.From((await store.GetTargetAsync(environment, name, ct))!, breakers));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> DeleteTargetAsync(
        string environment, string name, InventoryStore store, TargetBreakers breakers, AuditLog audit, HttpContext http, CancellationToken ct)
    {
        var deleted = await store.DeleteTargetAsync(environment, name, ct);
        await breakers.ResetAsync(environment, name);
        await audit.WriteAsync(http.User.Identity?.Name ?? "", AuthEndpoints.Source(http), "target.delete", $"{Clip(environment)}/{Clip(name)}",
            deleted ? "success" : "not found", null, ct);
        return deleted
            ? TypedResults.NoContent()
            : TypedResults.Problem(title: "Target not found", detail: $"There is no target '{Clip(name)}' in '{Clip(environment)}'.", statusCode: 404);
    }

    /// <summary>Every field checked; bad input is answered per field and changes nothing.</summary>
    public static Dictionary<string, string[]> Validate(string environment, string name, TargetInput input, out TargetKind kind)
    {
        var errors = new Dictionary<string, string[]>();
        void Error(string field, string message) => errors[field] = [message];

        if (!Slug().IsMatch(environment))
        {
            Error("environment", "environment: lower-case letters, digits and '-', at most 63 characters.");
        }

        if (!Slug().IsMatch(name))
        {
            Error("name", "name: lower-case letters, digits and '-', at most 63 characters.");
        }

        if (input.Role is null || !Slug().IsMatch(input.Role))
        {
            Error("role", "role is required: lower-case letters, digits and '-', e.g. platform-redis.");
        }

        if (!Enum.TryParse(input.Kind, ignoreCase: true, out kind) || !Enum.IsDefined(kind) || int.TryParse(input.Kind, out _))
        {
            Error("kind", "kind must be one of: host, postgres, redis, http, prometheus.");
        }

        if (Blank(input.Host) is { } host && !IsHost(host))
        {
            Error("host", "host must be a DNS name or an IP address, without scheme, port or path.");
        }

        if (input.Port is < 1 or > 65535)
        {
            Error("port", "port must be between 1 and 65535.");
        }

        if (Blank(input.BaseUrl) is { } url
            && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(uri.UserInfo) || url.Any(char.IsControl)))
        {
            Error("baseUrl", "baseUrl must be an absolute http:// or https:// URL without credentials.");
        }

        if (kind is TargetKind.Http or TargetKind.Prometheus && Blank(input.BaseUrl) is null)
        {
            Error("baseUrl", "baseUrl is required for http and prometheus targets.");
        }

        if (kind is TargetKind.Postgres or TargetKind.Redis && Blank(input.Host) is null)
        {
            Error("host", "host is required for postgres and redis targets.");
        }

        foreach (var (field, value) in new[] { ("database", input.Database), ("username", input.Username) })
        {
            if (Blank(value) is { } v && !Identifier().IsMatch(v))
            {
                Error(field, $"{field}: letters, digits, '_', '-', '.', at most 63 characters.");
            }
        }

        if (input.Password is { Length: > 1024 } || (input.Password?.Any(char.IsControl) ?? false))
        {
            Error("password", "password: at most 1024 characters, no control characters.");
        }

        if (input.LogPaths?.FirstOrDefault(p => !LogPath().IsMatch(p) || p.Contains("/../", StringComparison.Ordinal) || p.EndsWith("/..", StringComparison.Ordinal)) is { } badPath)
        {
            Error("logPaths", $"logPaths: '{Clip(badPath)}' is not an absolute file path (no '..', no special characters).");
        }

        if (input.Units?.FirstOrDefault(u => !Unit().IsMatch(u)) is { } badUnit)
        {
            Error("units", $"units: '{Clip(badUnit)}' is not a systemd unit name.");
        }

        ValidateSsh(input, kind, Error);
        return errors;
    }

    /// <summary>SSH settings: host targets only; host and user together; a key-based login only (no passwords here).</summary>
    private static void ValidateSsh(TargetInput input, TargetKind kind, Action<string, string> error)
    {
        var any = Blank(input.SshHost) is not null || Blank(input.SshUser) is not null || input.SshPort is not null || !string.IsNullOrEmpty(input.SshPrivateKey);
        if (!any)
        {
            return;
        }

        if (kind != TargetKind.Host)
        {
            error("sshHost", "SSH settings are for host targets only.");
            return;
        }

        if (Blank(input.SshHost) is not { } sshHost || !IsHost(sshHost))
        {
            error("sshHost", "sshHost is required with SSH settings: a DNS name or an IP address, without port.");
        }

        if (Blank(input.SshUser) is not { } user || !SshUser().IsMatch(user))
        {
            error("sshUser", "sshUser is required with SSH settings: a Unix user name (letters, digits, '_', '.', '-'; at most 32).");
        }

        if (input.SshPort is < 1 or > 65535)
        {
            error("sshPort", "sshPort must be between 1 and 65535.");
        }

        if (input.SshPrivateKey is { Length: > 0 } key
            && (key.Length > 16_384 || !key.Contains("PRIVATE KEY-----", StringComparison.Ordinal) || key.Any(c => char.IsControl(c) && c is not ('\n' or '\r'))))
        {
            error("sshPrivateKey", "sshPrivateKey must be an unencrypted OpenSSH or PEM private key (-----BEGIN … PRIVATE KEY-----), at most 16 KiB.");
        }

        if (!string.IsNullOrEmpty(input.SshHostKey) && SshFingerprint.Normalize(input.SshHostKey) is null)
        {
            error("sshHostKey", "sshHostKey must be a SHA256 fingerprint as ssh-keygen -lf prints it (SHA256:…, 43 base64 characters).");
        }
    }

    /// <summary>A DNS name (labels of at most 63, at most 253 in all), an IPv4 address, or an IPv6 address, bracketed or not; never a port.</summary>
    private static bool IsHost(string host)
    {
        if (host.Contains(':', StringComparison.Ordinal) || host.StartsWith('['))
        {
            var inner = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
            return IPv6().IsMatch(inner) && System.Net.IPAddress.TryParse(inner, out var address)
                   && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        }

        return host.Length <= 253 && HostName().IsMatch(host);
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string Clip(string value) => ProbeText.Clip(value);

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex Slug();

    [GeneratedRegex(@"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})?)*$")]
    private static partial Regex HostName();

    [GeneratedRegex("^[0-9A-Fa-f:.]{2,45}$")]
    private static partial Regex IPv6();

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,63}$")]
    private static partial Regex Identifier();

    [GeneratedRegex("^/[A-Za-z0-9_./@+-]{1,255}$")]
    private static partial Regex LogPath();

    [GeneratedRegex("^[A-Za-z0-9@._:-]{1,128}$")]
    private static partial Regex Unit();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_.-]{0,31}$")]
    private static partial Regex SshUser();
}

/// <summary>A target as written through the API. password and sshPrivateKey are write-only (null keeps, "" removes); sshHostKey null keeps the pin.</summary>
public sealed record TargetInput(
    string? Role,
    string? Kind,
    string? Host = null,
    int? Port = null,
    string? BaseUrl = null,
    string? Database = null,
    string? Username = null,
    string? Password = null,
    bool UseTls = false,
    List<string>? LogPaths = null,
    List<string>? Units = null,
    bool AllowLoopback = false,
    bool AllowPrivate = false,
    string? SshHost = null,
    int? SshPort = null,
    string? SshUser = null,
    string? SshPrivateKey = null,
    string? SshHostKey = null);

/// <summary>A target as read through the API: never the password.</summary>
/// <param name="Breaker">Its circuit breaker on this instance: state (closed, open, half-open), openSince, retryAt, lastError, lastErrorAt.</param>
public sealed record TargetDto(
    string Environment, string Name, string Role, string Kind, string? Host, int? Port, string? BaseUrl, string? Database,
    string? Username, bool HasPassword, bool UseTls, IReadOnlyList<string> LogPaths, IReadOnlyList<string> Units,
    bool AllowLoopback, bool AllowPrivate, DateTimeOffset UpdatedAt,
    string? SshHost, int? SshPort, string? SshUser, bool HasSshKey, string? SshHostKey, BreakerState Breaker)
{
    public static TargetDto From(TargetRecord t, TargetBreakers breakers) => new(
        t.Environment, t.Name, t.Role, InventoryStore.KindName(t.Kind), t.Host, t.Port, t.BaseUrl, t.Database, t.Username,
        t.HasPassword, t.UseTls, t.LogPaths, t.Units, t.AllowLoopback, t.AllowPrivate, t.UpdatedAt,
        t.SshHost, t.SshPort, t.SshUser, t.HasSshKey, t.SshHostKey, breakers.StateOf(t.Environment, t.Name));
}
