using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Probes.Contract;
using Portal.Probes.Ssh;
using Portal.Web.Auth;
using Portal.Web.Inventory;

namespace Portal.Web.Api;

/// <summary>SSH reachability of host targets and the admin action that pins a host key.</summary>
public static class SshEndpoints
{
    internal static async Task<Results<Ok<SshStatus>, ProblemHttpResult>> StatusAsync(
        string environment, string name, SshStatusService ssh, CancellationToken ct) =>
        await ssh.CheckAsync(environment, name, ct) is { } status
            ? TypedResults.Ok(status)
            : TypedResults.Problem(title: "Target not found", detail: $"There is no target '{ProbeText.Clip(name)}' in '{ProbeText.Clip(environment)}'.", statusCode: 404);

    /// <summary>
    /// Pins the key only when the server presents exactly the fingerprint the admin checked, so a key
    /// swapped between looking and clicking is not trusted by accident.
    /// </summary>
    internal static async Task<Results<Ok<TrustResult>, ValidationProblem, ProblemHttpResult>> TrustAsync(
        string environment, string name, TrustInput input, InventoryStore store, SshStatusService ssh, AuditLog audit, HttpContext http, CancellationToken ct)
    {
        var who = http.User.Identity?.Name ?? "";
        var subject = $"{ProbeText.Clip(environment)}/{ProbeText.Clip(name)}";
        if (SshFingerprint.Normalize(input.Fingerprint) is not { } wanted)
        {
            await audit.WriteAsync(who, AuthEndpoints.Source(http), "target.ssh.trust", subject, "refused", new { reason = "invalid fingerprint" }, ct);
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["fingerprint"] = ["fingerprint must be a SHA256 fingerprint as ssh-keygen -lf prints it (SHA256:…)."] },
                title: "Nothing was trusted");
        }

        var record = await store.GetTargetAsync(environment, name, ct);
        if (record?.SshHost is null)
        {
            return TypedResults.Problem(title: "No SSH target", detail: $"There is no target '{ProbeText.Clip(name)}' with SSH settings in '{ProbeText.Clip(environment)}'.", statusCode: 404);
        }

        string presented;
        try
        {
            presented = await ssh.ScanAsync(record, ct);
        }
        catch (SshFailureException failure)
        {
            await audit.WriteAsync(who, AuthEndpoints.Source(http), "target.ssh.trust", subject, "refused", new { reason = failure.Code }, ct);
            return TypedResults.Problem(title: "The SSH server did not answer", detail: failure.Message, statusCode: 503);
        }

        if (!SshFingerprint.Same(presented, wanted))
        {
            await audit.WriteAsync(who, AuthEndpoints.Source(http), "target.ssh.trust", subject, "refused", new { wanted, presented }, ct);
            return TypedResults.Problem(
                title: "The server presents another key",
                detail: $"{record.SshHost}:{record.SshPort ?? 22} presents {presented}, not {wanted}; nothing was pinned. Check the key again.",
                statusCode: 409);
        }

        await store.TrustHostKeyAsync(environment, name, wanted, ct);
        await audit.WriteAsync(who, AuthEndpoints.Source(http), "target.ssh.trust", subject, "success", new { fingerprint = wanted, previous = record.SshHostKey }, ct);
        return TypedResults.Ok(new TrustResult(wanted, record.SshHostKey));
    }
}

/// <summary>The fingerprint the admin checked, "SHA256:…".</summary>
public sealed record TrustInput(string? Fingerprint);

public sealed record TrustResult(string Fingerprint, string? Previous);
