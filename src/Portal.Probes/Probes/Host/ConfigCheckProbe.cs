using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using Portal.Probes.Contract;

namespace Portal.Probes.Probes.Host;

/// <summary>
/// Does a service's config file exist, parse (JSON, YAML, INI, .env) and hold the keys it needs? Parse
/// errors come with line and column; top-level keys are listed; and where systemd runs, the
/// environment the target's units set is shown too. Values of secret-looking keys (password, token,
/// key, secret, credential, dsn, connection string…) are never shown: every event is scrubbed of them.
/// The file must be under /etc/platform/ or directly inside the directory of one of the target's log
/// files; links are resolved and the resolved path must still be allowed.
/// </summary>
public sealed class ConfigCheckProbe : IProbe
{
    internal const string KeyPattern = "[A-Za-z0-9_.:-]{1,128}";
    private const long MaxBytes = 1 << 20;
    private const int ShownKeys = 100;
    private const int MaxUnits = 5;

    private readonly IHostAccessProvider _hosts;
    private readonly IReadOnlyList<string> _configRoots;

    public ConfigCheckProbe()
        : this(HostAccessProvider.Default)
    {
    }

    public ConfigCheckProbe(IHostAccessProvider hosts)
        : this(hosts, ["/etc/platform"])
    {
    }

    internal ConfigCheckProbe(HostAccess host, IReadOnlyList<string> configRoots)
        : this(HostAccessProvider.Fixed(host), configRoots)
    {
    }

    /// <param name="configRoots">Directories whose files (at any depth) are allowed; tests use temp folders instead of /etc/platform.</param>
    internal ConfigCheckProbe(IHostAccessProvider hosts, IReadOnlyList<string> configRoots)
    {
        _hosts = hosts;
        _configRoots = configRoots;
    }

    public ProbeDescriptor Descriptor { get; } = new(
        Kind: "config.check",
        Title: "Config file check",
        TitleZh: "配置文件检查",
        Description: "Checks that a config file exists, parses as JSON, YAML, INI or .env, and has the required keys, and shows the environment the target's systemd units set, with secret values masked.",
        TargetKinds: [TargetKind.Host, TargetKind.Http, TargetKind.Postgres, TargetKind.Redis, TargetKind.Prometheus],
        Parameters:
        [
            new ProbeParameter(
                "path",
                ParameterType.String,
                "Absolute path of the config file: under /etc/platform/, or directly inside the directory of one of the target's log files (links are resolved and must stay there).",
                Required: true,
                Pattern: HostFilePaths.LongPathPattern,
                MaxLength: 1024),
            new ProbeParameter("format", ParameterType.Choice, "auto: from the extension (.json, .yaml/.yml, .ini/.cfg/.conf, .env).", Default: "auto", Choices: ["auto", .. ConfigParser.Formats]),
            new ProbeParameter(
                "required_keys",
                ParameterType.String,
                "Comma-separated keys that must be present; a.b (or a:b) is key b inside a, INI sections are the first level.",
                Pattern: $"{KeyPattern}( *, *{KeyPattern})*",
                MaxLength: 2048),
        ],
        DefaultTimeout: TimeSpan.FromSeconds(15),
        MaxTimeout: TimeSpan.FromSeconds(60));

    public async IAsyncEnumerable<ProbeEvent> RunAsync(ProbeRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        var target = request.Target;
        using var lease = await _hosts.AcquireAsync(target, mustBeHere: true, ct);
        if (lease.Access is not { } host)
        {
            foreach (var refusedEvent in lease.RefusalEvents("Cannot check config files"))
            {
                yield return refusedEvent;
            }

            yield break;
        }

        var path = request.Get("path");
        var roots = _configRoots.Concat(_configRoots.Select(host.Files.RealPath).OfType<string>()).Select(r => r.TrimEnd('/') + "/").ToList();
        var dirs = HostPaths.AllowedLogDirectories(host.Files, target);
        var check = HostFilePaths.Check(
            host.Files,
            path,
            target,
            p => roots.Any(r => p.StartsWith(r, StringComparison.Ordinal)) || dirs.Contains(Path.GetDirectoryName(p) ?? string.Empty),
            $"under {string.Join(" or ", _configRoots)} or in a log directory");
        if (check.Refusal is { } refusal)
        {
            yield return new Finding("config.error", "refused_by_policy");
            yield return new Verdict(VerdictStatus.Error, $"Refused: {refusal}.");
            yield break;
        }

        var secrets = new HashSet<string>(StringComparer.Ordinal);
        var watch = Stopwatch.StartNew();
        var (events, verdict) = CheckFile(host, path, check, request, secrets);
        foreach (var e in events)
        {
            yield return Scrub(e, secrets);
        }

        yield return new Metric("check_ms", watch.Elapsed.TotalMilliseconds, "ms");
        if (verdict.Status == VerdictStatus.Error)
        {
            yield return verdict;
            yield break;
        }

        var units = HostAccess.UnitNames(target);
        if (units.Count > 0)
        {
            if (!Systemd.IsRunning(host.Files) || host.Commands.Find("systemctl") is null)
            {
                yield return new Finding("systemd.available", "false");
                yield return new OutputLine($"systemd is not running here, so the environment of {string.Join(", ", units)} cannot be read (not counted against the file).", OutputStream.Info);
            }
            else
            {
                yield return new Finding("systemd.available", "true");
                var unitWatch = Stopwatch.StartNew();
                var unitEvents = await UnitEnvironmentAsync(host, units, secrets, ct);
                if (ct.IsCancellationRequested)
                {
                    yield break;
                }

                foreach (var e in unitEvents)
                {
                    yield return Scrub(e, secrets);
                }

                yield return new Metric("systemctl_ms", unitWatch.Elapsed.TotalMilliseconds, "ms");
            }
        }

        yield return Scrub(verdict, secrets);
    }

    private static (List<ProbeEvent> Events, Verdict Verdict) CheckFile(HostAccess host, string path, PathCheck check, ProbeRequest request, HashSet<string> secrets)
    {
        var events = new List<ProbeEvent>();
        if (check.Resolved is not { } file)
        {
            events.Add(new Finding("config.exists", "false"));
            return (events, new Verdict(VerdictStatus.Fail, $"{path} does not exist."));
        }

        if (file != HostFilePaths.Trim(path))
        {
            events.Add(new OutputLine($"{path} -> {file}", OutputStream.Info));
        }

        var format = request.Get("format") is var f && f != "auto" ? f : ConfigParser.FormatOf(file);
        if (format is null)
        {
            return (events, new Verdict(VerdictStatus.Error, $"Cannot tell the format of {file} from its name; pass format (json, yaml, ini or env)."));
        }

        if (!host.Files.FileExists(file))
        {
            events.Add(new Finding("config.exists", "false"));
            events.Add(new Finding("config.error", "not_a_file"));
            return (events, new Verdict(VerdictStatus.Fail, $"{file} is not a regular file (a directory?)."));
        }

        events.Add(new Finding("config.exists", "true"));
        events.Add(new Finding("config.format", format));
        var length = host.Files.Length(file);
        if (length > MaxBytes)
        {
            events.Add(new Finding("config.error", "too_large"));
            return (events, new Verdict(VerdictStatus.Error, $"{file} is {LogSearchProbe.Size(length.Value)}; config files over {LogSearchProbe.Size(MaxBytes)} are not parsed."));
        }

        if (host.Files.ReadText(file) is not { } text)
        {
            events.Add(new Finding("config.error", "unreadable"));
            return (events, new Verdict(VerdictStatus.Fail, $"{file} exists but the portal cannot read it (permission denied?)."));
        }

        secrets.UnionWith(ConfigSecrets.FromRawLines(text));
        events.Add(new OutputLine($"Parsing {file} ({LogSearchProbe.Size(length ?? text.Length)}) as {format.ToUpperInvariant()}…", OutputStream.Info));
        var parsed = ConfigParser.Parse(text, format);
        events.Add(new Finding("config.valid", ProbeText.Bool(parsed.IsValid)));
        if (!parsed.IsValid)
        {
            var where = parsed.Line is { } line ? $"line {line}, column {parsed.Column}" : "somewhere in the file";
            events.Add(new OutputLine($"{file}:{parsed.Line?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}:{parsed.Column?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}: {parsed.Error}", OutputStream.Stderr));
            events.Add(new Finding("config.error", "parse_error"));
            if (parsed.Line is { } l)
            {
                events.Add(new Finding("config.error_line", ProbeText.Number(l)));
                events.Add(new Finding("config.error_column", ProbeText.Number(parsed.Column ?? 0)));
            }

            return (events, new Verdict(VerdictStatus.Fail, $"{file} is not valid {format.ToUpperInvariant()}: {where}: {parsed.Error}"));
        }

        var budget = 200_000;
        ConfigSecrets.Collect(parsed.Root, false, secrets, ref budget);
        var top = parsed.Root as JsonObject;
        events.Add(new Finding("config.keys", ProbeText.Number(top?.Count ?? 0)));
        if (top is null)
        {
            events.Add(new OutputLine(parsed.Root is null ? "The file is empty: no keys." : "The top level is not a mapping (a list or a single value): no keys.", OutputStream.Info));
        }
        else
        {
            events.Add(new OutputLine($"{top.Count} top-level keys:", OutputStream.Info));
            foreach (var (key, value) in top.Take(ShownKeys))
            {
                events.Add(new OutputLine($"  {key} = {ConfigSecrets.Show(key, value)}"));
            }

            if (top.Count > ShownKeys)
            {
                events.Add(new OutputLine($"  … and {top.Count - ShownKeys} more", OutputStream.Info));
            }

            events.Add(new Finding("config.top_keys", Truncate(string.Join(",", top.Select(p => p.Key)), 500)));
        }

        var required = (request.GetOptional("required_keys") ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToList();
        var missing = new List<string>();
        if (required.Count > 0)
        {
            events.Add(new OutputLine($"Required keys ({required.Count}):", OutputStream.Info));
            foreach (var key in required)
            {
                if (ConfigParser.TryFind(parsed.Root, key, out var value))
                {
                    events.Add(new OutputLine($"  ok       {key} = {ConfigSecrets.Show(key, value)}"));
                }
                else
                {
                    missing.Add(key);
                    events.Add(new OutputLine($"  MISSING  {key}"));
                }
            }
        }

        if (missing.Count > 0)
        {
            events.Add(new Finding("config.missing_keys", string.Join(",", missing)));
            return (events, new Verdict(VerdictStatus.Fail, $"{file} is valid {format.ToUpperInvariant()} but lacks {missing.Count} of {required.Count} required keys: {string.Join(", ", missing)}."));
        }

        return (events, new Verdict(VerdictStatus.Pass, required.Count > 0
            ? $"{file} is valid {format.ToUpperInvariant()} with {top?.Count ?? 0} top-level keys and all {required.Count} required keys."
            : $"{file} is valid {format.ToUpperInvariant()} with {top?.Count ?? 0} top-level keys."));
    }

    private static async Task<List<ProbeEvent>> UnitEnvironmentAsync(HostAccess host, IReadOnlyList<string> units, HashSet<string> secrets, CancellationToken ct)
    {
        var events = new List<ProbeEvent>();
        var total = 0;
        foreach (var unit in units.Take(MaxUnits))
        {
            string[] arguments = ["show", unit, "--property=Environment", "--property=EnvironmentFiles", "--no-pager"];
            events.Add(new OutputLine("systemctl " + string.Join(' ', arguments), OutputStream.Info));
            CommandResult result;
            try
            {
                result = await host.Commands.RunAsync("systemctl", arguments, TimeSpan.FromSeconds(10), ct);
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                events.Add(new OutputLine($"systemctl could not run: {ex.Message}", OutputStream.Stderr));
                continue;
            }

            if (ct.IsCancellationRequested)
            {
                return events;
            }

            if (result.ExitCode != 0)
            {
                events.Add(new OutputLine($"{unit}: systemctl show failed: {(result.TimedOut ? "timed out" : Truncate(result.Stderr.Trim(), 300))}", OutputStream.Stderr));
                continue;
            }

            foreach (var line in result.Stdout.Split('\n'))
            {
                if (line.StartsWith("Environment=", StringComparison.Ordinal))
                {
                    var variables = SplitEnvironment(line["Environment=".Length..]);
                    total += variables.Count;
                    events.Add(new OutputLine($"{unit}: {variables.Count} environment variables{(variables.Count > 0 ? ":" : string.Empty)}", OutputStream.Info));
                    foreach (var variable in variables)
                    {
                        var eq = variable.IndexOf('=', StringComparison.Ordinal);
                        var (name, value) = eq > 0 ? (variable[..eq], variable[(eq + 1)..]) : (variable, string.Empty);
                        var shown = ConfigSecrets.Show(name, JsonValue.Create(value));
                        if (shown == ConfigSecrets.Mask)
                        {
                            secrets.Add(value);
                        }

                        events.Add(new OutputLine($"  {name}={shown}"));
                    }
                }
                else if (line.StartsWith("EnvironmentFiles=", StringComparison.Ordinal) && line.Length > "EnvironmentFiles=".Length)
                {
                    events.Add(new OutputLine($"{unit}: reads environment from {Truncate(line["EnvironmentFiles=".Length..], 300)}", OutputStream.Info));
                }
            }
        }

        events.Add(new Finding("config.unit_env_vars", ProbeText.Number(total)));
        return events;
    }

    /// <summary>systemd prints Environment= as space-separated assignments, double-quoting those with spaces.</summary>
    internal static List<string> SplitEnvironment(string value)
    {
        var result = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\\' && quoted && i + 1 < value.Length)
            {
                current.Append(value[++i]);
            }
            else if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == ' ' && !quoted)
            {
                if (current.Length > 0)
                {
                    result.Add(current.ToString());
                    current.Clear();
                }
            }
            else
            {
                current.Append(c);
            }
        }

        if (current.Length > 0)
        {
            result.Add(current.ToString());
        }

        return result;
    }

    private static ProbeEvent Scrub(ProbeEvent e, IReadOnlyCollection<string> secrets) => e switch
    {
        OutputLine line => line with { Text = ConfigSecrets.Scrub(line.Text, secrets) },
        Finding finding => finding with { Value = ConfigSecrets.Scrub(finding.Value, secrets) },
        Verdict verdict => verdict with { Summary = ConfigSecrets.Scrub(verdict.Summary, secrets) },
        _ => e,
    };

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max] + "…";
}
