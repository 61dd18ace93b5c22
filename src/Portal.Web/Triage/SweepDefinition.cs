using Portal.Probes.Contract;
using Portal.Web.Inventory;

namespace Portal.Web.Triage;

/// <summary>
/// One kind of check of a sweep: a probe run on every target with this role (or, when no role is named,
/// of this kind), with fixed parameters and an optional shorter time limit.
/// </summary>
public sealed record SweepCheck
{
    public string? Role { get; init; }

    /// <summary>Target kind (host, postgres, redis, http, prometheus) when no role is named.</summary>
    public string? TargetKind { get; init; }

    public string Probe { get; init; } = "";

    public Dictionary<string, string> Parameters { get; init; } = [];

    /// <summary>Seconds; at most the probe's own maximum. Null: the probe's default time limit.</summary>
    public int? TimeoutSeconds { get; init; }

    public bool Applies(TargetRecord target) =>
        Role is not null ? target.Role == Role : TargetKind is not null && InventoryStore.KindName(target.Kind) == TargetKind;
}

/// <summary>Which probes a sweep of an environment runs.</summary>
public sealed record SweepDefinition
{
    public List<SweepCheck> Checks { get; init; } = [];

    /// <summary>
    /// The guide's first look at each part of the platform: every HTTP service's /health, the API's port
    /// owner and latency, PostgreSQL connect (and its port) and activity, Redis ping (and its port) and memory,
    /// the host's memory and CPU once (on the API's machine). Time limits are short: a sweep is a first look.
    /// </summary>
    public static SweepDefinition Defaults(IReadOnlyList<TargetRecord> targets)
    {
        var checks = new List<SweepCheck>
        {
            new() { TargetKind = "http", Probe = "http.check", Parameters = new() { ["path"] = "/health", ["timeout_ms"] = "5000" }, TimeoutSeconds = 10 },
            new() { TargetKind = "postgres", Probe = "tcp.connect", Parameters = new() { ["timeout_ms"] = "2000" }, TimeoutSeconds = 5 },
            new() { TargetKind = "postgres", Probe = "postgres.connect", TimeoutSeconds = 10 },
            new() { TargetKind = "postgres", Probe = "postgres.activity", TimeoutSeconds = 10 },
            new() { TargetKind = "redis", Probe = "tcp.connect", Parameters = new() { ["timeout_ms"] = "2000" }, TimeoutSeconds = 5 },
            new() { TargetKind = "redis", Probe = "redis.ping", TimeoutSeconds = 10 },
            new() { TargetKind = "redis", Probe = "redis.memory", TimeoutSeconds = 10 },
        };
        if (targets.FirstOrDefault(t => t.Role == "platform-api") is { } api)
        {
            if (Uri.TryCreate(api.BaseUrl, UriKind.Absolute, out var url))
            {
                checks.Add(new() { Role = api.Role, Probe = "port.owner", Parameters = new() { ["port"] = url.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) }, TimeoutSeconds = 10 });
            }

            checks.Add(new() { Role = api.Role, Probe = "http.latency", Parameters = new() { ["samples"] = "2", ["timeout_ms"] = "5000" }, TimeoutSeconds = 15 });
            checks.Add(new() { Role = api.Role, Probe = "host.memory", TimeoutSeconds = 10 });
            checks.Add(new() { Role = api.Role, Probe = "host.cpu", Parameters = new() { ["interval"] = "1" }, TimeoutSeconds = 10 });
        }

        return new SweepDefinition { Checks = checks };
    }

    /// <summary>Problems with the definition, by field; empty when it can be swept.</summary>
    public Dictionary<string, string[]> Validate(Portal.Probes.ProbeCatalog catalog)
    {
        var errors = new Dictionary<string, string[]>();
        if (Checks.Count is 0 or > 100)
        {
            errors["checks"] = ["checks: 1 to 100 checks."];
        }

        for (var i = 0; i < Checks.Count; i++)
        {
            var check = Checks[i];
            var path = $"checks[{i}]";
            if (catalog.Find(check.Probe ?? "") is not { } probe)
            {
                errors[$"{path}.probe"] = [$"There is no probe '{Portal.Probes.Contract.ProbeText.Clip(check.Probe)}'."];
                continue;
            }

            if ((check.Role is null) == (check.TargetKind is null))
            {
                errors[$"{path}.role"] = ["Name either a role or a targetKind."];
            }
            else if (check.TargetKind is not null && !Enum.TryParse<TargetKind>(check.TargetKind, ignoreCase: true, out _))
            {
                errors[$"{path}.targetKind"] = ["targetKind is one of host, postgres, redis, http, prometheus."];
            }
            else if (check.Role is not null && !System.Text.RegularExpressions.Regex.IsMatch(check.Role, "^[a-z0-9][a-z0-9-]{0,62}$", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromMilliseconds(100)))
            {
                errors[$"{path}.role"] = ["role: lower-case letters, digits and '-', at most 63."];
            }

            if (probe.Descriptor.Follows)
            {
                errors[$"{path}.probe"] = [$"'{probe.Descriptor.Kind}' follows output until stopped; a sweep needs probes that end."];
            }

            var validation = ParameterValidator.Validate(probe.Descriptor, (check.Parameters ?? []).ToDictionary(p => p.Key, p => (string?)p.Value));
            foreach (var (field, message) in validation.Errors)
            {
                errors[$"{path}.parameters.{field}"] = [message];
            }

            if (check.TimeoutSeconds is { } s && (s < 1 || s > probe.Descriptor.MaxTimeout.TotalSeconds))
            {
                errors[$"{path}.timeoutSeconds"] = [$"timeoutSeconds must be between 1 and {probe.Descriptor.MaxTimeout.TotalSeconds:0}."];
            }
        }

        return errors;
    }
}
