using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Portal.Probes.Contract;
using Portal.Probes.Network;

namespace Portal.Probes.Probes.Http;

/// <summary>
/// dig, asked the way this machine resolves: /etc/hosts first, then the nameservers of
/// /etc/resolv.conf (search domains for single-label names). A/AAAA/CNAME answers with TTLs,
/// the resolver that answered, the time, and NXDOMAIN / SERVFAIL / timeout told apart.
/// </summary>
public sealed class DnsResolveProbe : IProbe
{
    /// <summary>A host name: dot-separated labels of letters, digits, '-' and '_' (no leading '-').</summary>
    public const string HostnamePattern = @"(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?";

    private readonly Func<ResolverConfig> _config;
    private readonly string? _hostsPath;

    public DnsResolveProbe()
        : this(() => ResolverConfig.Read("/etc/resolv.conf"), "/etc/hosts")
    {
    }

    /// <summary>For tests: these resolvers instead of /etc/resolv.conf's, and this hosts file (null: none).</summary>
    internal DnsResolveProbe(Func<ResolverConfig> config, string? hostsPath)
    {
        _config = config;
        _hostsPath = hostsPath;
    }

    public ProbeDescriptor Descriptor { get; } = new(
        Kind: "dns.resolve",
        Title: "DNS resolution",
        TitleZh: "DNS 解析",
        Description: "Resolves a name through this machine's hosts file and DNS resolvers and reports A/AAAA/CNAME answers, TTLs, the resolver, the time and NXDOMAIN/SERVFAIL/timeout.",
        TargetKinds: [TargetKind.Host, TargetKind.Http, TargetKind.Postgres, TargetKind.Redis, TargetKind.Prometheus],
        Parameters:
        [
            new ProbeParameter("name", ParameterType.String, "Name to resolve; defaults to the target's host.", Pattern: HostnamePattern, MaxLength: 254),
            new ProbeParameter("record_type", ParameterType.Choice, "Which records: A, AAAA, CNAME, or all (A and AAAA).", Default: "all", Choices: ["all", "A", "AAAA", "CNAME"]),
            new ProbeParameter("timeout_ms", ParameterType.Integer, "Time limit per query.", Default: "2000", Min: 100, Max: 10000),
        ],
        DefaultTimeout: TimeSpan.FromSeconds(20),
        MaxTimeout: TimeSpan.FromSeconds(60));

    public async IAsyncEnumerable<ProbeEvent> RunAsync(ProbeRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        var name = request.GetOptional("name") ?? TargetEndpoint.Of(request.Target).Host;
        if (name is null)
        {
            yield return new Verdict(VerdictStatus.Error, $"Target '{request.Target.Name}' has no host name; give a name to resolve.");
            yield break;
        }

        name = name.TrimEnd('.');
        yield return new Finding("dns.name", name);
        if (IPAddress.TryParse(name.Trim('[', ']'), out var literal))
        {
            yield return new Finding("dns.answers", literal.ToString());
            yield return new Verdict(VerdictStatus.Pass, $"{name} is an address, not a name: nothing to resolve.");
            yield break;
        }

        var kind = request.Get("record_type");
        var hosts = HostsFile.Lookup(_hostsPath, name);
        if (hosts.Count > 0 && kind != "CNAME")
        {
            yield return new OutputLine($"{_hostsPath}: {name} → {string.Join(", ", hosts)} (the hosts file answers before DNS on this machine)");
            yield return new Finding("dns.source", "hosts");
            yield return new Finding("dns.answers", string.Join(",", hosts));
            yield return new Verdict(VerdictStatus.Pass, $"{name} resolves to {string.Join(", ", hosts)} from {_hostsPath}.");
            yield break;
        }

        var config = _config();
        if (config.Nameservers.Count == 0)
        {
            yield return new Verdict(VerdictStatus.Error, "No nameserver is configured (/etc/resolv.conf has none).");
            yield break;
        }

        ushort[] types = kind switch
        {
            "A" => [DnsWireClient.TypeA],
            "AAAA" => [DnsWireClient.TypeAaaa],
            "CNAME" => [DnsWireClient.TypeCname],
            _ => [DnsWireClient.TypeA, DnsWireClient.TypeAaaa],
        };
        var candidates = !name.Contains('.', StringComparison.Ordinal) && config.Search.Count > 0
            ? [.. config.Search.Select(s => $"{name}.{s}"), name]
            : new List<string> { name };
        var timeout = TimeSpan.FromMilliseconds(request.GetInt("timeout_ms"));
        var total = Stopwatch.StartNew();

        string? error = null;
        foreach (var server in config.Nameservers)
        {
            yield return new OutputLine($"resolver {server} (from {config.Source})", OutputStream.Info);
            error = null;
            foreach (var candidate in candidates)
            {
                var records = new List<DnsRecord>();
                var rcodes = new List<int>();
                foreach (var type in types)
                {
                    var watch = Stopwatch.StartNew();
                    var (answer, failure) = await AskAsync(server, candidate, type, timeout, ct);
                    ct.ThrowIfCancellationRequested();
                    yield return new Metric("query_ms", watch.Elapsed.TotalMilliseconds, "ms");
                    var typeName = type == DnsWireClient.TypeA ? "A" : type == DnsWireClient.TypeAaaa ? "AAAA" : "CNAME";
                    if (failure is not null)
                    {
                        yield return new OutputLine($"{candidate} {typeName}: {failure} after {ProbeText.Ms(watch.Elapsed)}", OutputStream.Stderr);
                        error = failure;
                        break;
                    }

                    rcodes.Add(answer!.Rcode);
                    yield return new OutputLine($"{candidate} {typeName}: {DnsWireClient.RcodeName(answer.Rcode)}, {answer.Records.Count} answers in {ProbeText.Ms(watch.Elapsed)}");
                    foreach (var r in answer.Records.Take(50))
                    {
                        yield return new OutputLine($"  {r.Owner}.\t{r.Ttl}\tIN\t{r.Type}\t{r.Data}");
                    }

                    records.AddRange(answer.Records);
                }

                if (error is not null)
                {
                    break; // this resolver is not answering: try the next one
                }

                var rcode = rcodes.Contains(2) ? 2 : rcodes.Contains(0) ? 0 : rcodes.FirstOrDefault(3);
                if (rcode == 3 && candidate != candidates[^1])
                {
                    continue; // next search domain
                }

                foreach (var e in Conclude(server, candidate, kind, rcode, records, total.Elapsed))
                {
                    yield return e;
                }

                yield break;
            }
        }

        yield return new Metric("dns_ms", total.Elapsed.TotalMilliseconds, "ms");
        yield return new Finding("dns.resolver", config.Nameservers[^1].ToString());
        yield return new Finding("dns.error", error ?? "timeout");
        yield return new Verdict(VerdictStatus.Fail, $"No resolver answered for {name}: {error} ({string.Join(", ", config.Nameservers)}).");
    }

    private static IEnumerable<ProbeEvent> Conclude(IPEndPoint server, string name, string kind, int rcode, List<DnsRecord> records, TimeSpan elapsed)
    {
        yield return new Metric("dns_ms", elapsed.TotalMilliseconds, "ms");
        yield return new Finding("dns.resolver", server.ToString());
        yield return new Finding("dns.source", "dns");
        yield return new Finding("dns.rcode", DnsWireClient.RcodeName(rcode));
        var addresses = records.Where(r => r.Type is "A" or "AAAA").Select(r => r.Data).Distinct().ToList();
        var cnames = records.Where(r => r.Type == "CNAME").ToList();
        if (cnames.Count > 0)
        {
            yield return new Finding("dns.cname", cnames[^1].Data);
        }

        if (records.Count > 0)
        {
            yield return new Finding("dns.ttl", ProbeText.Number(records.Min(r => (long)r.Ttl)));
        }

        var answers = kind == "CNAME" ? cnames.Select(c => c.Data).ToList() : addresses;
        yield return new Finding("dns.answers", string.Join(",", answers));
        var took = ProbeText.Ms(elapsed);
        switch (rcode)
        {
            case 0 when answers.Count > 0:
                yield return new Verdict(VerdictStatus.Pass,
                    $"{name} → {string.Join(", ", answers.Take(8))}{(cnames.Count > 0 && kind != "CNAME" ? $" (via CNAME {cnames[^1].Data})" : string.Empty)} from {server} in {took}.");
                break;
            case 0:
                yield return new Finding("dns.error", "no_data");
                yield return new Verdict(VerdictStatus.Fail, $"{name} exists but has no {(kind == "all" ? "A/AAAA" : kind)} records ({server}, {took}).");
                break;
            case 3:
                yield return new Finding("dns.error", "nxdomain");
                yield return new Verdict(VerdictStatus.Fail, $"{name} does not exist (NXDOMAIN from {server}, {took}).");
                break;
            case 2:
                yield return new Finding("dns.error", "servfail");
                yield return new Verdict(VerdictStatus.Fail, $"{server} could not resolve {name} (SERVFAIL, {took}): its upstream or the zone is broken.");
                break;
            default:
                yield return new Finding("dns.error", DnsWireClient.RcodeName(rcode).ToLowerInvariant());
                yield return new Verdict(VerdictStatus.Fail, $"{server} answered {DnsWireClient.RcodeName(rcode)} for {name} ({took}).");
                break;
        }
    }

    private static async Task<(DnsAnswer? Answer, string? Error)> AskAsync(IPEndPoint server, string name, ushort type, TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            return (await DnsWireClient.QueryAsync(server, name, type, timeout, ct), null);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (null, "timeout");
        }
        catch (SocketException ex)
        {
            return (null, ex.SocketErrorCode == SocketError.ConnectionRefused ? "refused" : ex.SocketErrorCode.ToString().ToLowerInvariant());
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or ArgumentOutOfRangeException or IOException)
        {
            return (null, "bad_response");
        }
    }
}

/// <summary>The resolver configuration: nameservers (port 53 unless a test says otherwise) and search domains.</summary>
internal sealed record ResolverConfig(IReadOnlyList<IPEndPoint> Nameservers, IReadOnlyList<string> Search, string Source)
{
    public static ResolverConfig Read(string path)
    {
        var servers = new List<IPEndPoint>();
        var search = new List<string>();
        try
        {
            foreach (var raw in File.ReadLines(path).Take(200))
            {
                var parts = raw.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 2 && parts[0] == "nameserver" && IPAddress.TryParse(parts[1].Split('%')[0], out var ip))
                {
                    servers.Add(new IPEndPoint(ip, 53));
                }
                else if (parts.Length >= 2 && parts[0] is "search" or "domain")
                {
                    search = [.. parts.Skip(1).Take(6)];
                }
            }
        }
        catch (IOException)
        {
            // no resolv.conf: the caller says no nameserver is configured
        }
        catch (UnauthorizedAccessException)
        {
        }

        return new ResolverConfig(servers.Take(3).ToList(), search, path);
    }
}

/// <summary>/etc/hosts lookups, as the system resolver does them before DNS.</summary>
internal static class HostsFile
{
    public static IReadOnlyList<string> Lookup(string? path, string name)
    {
        if (path is null || !File.Exists(path))
        {
            return [];
        }

        var found = new List<string>();
        try
        {
            foreach (var raw in File.ReadLines(path).Take(10_000))
            {
                var line = raw.Split('#')[0];
                var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 2 && IPAddress.TryParse(parts[0], out var ip)
                    && parts.Skip(1).Any(h => h.Equals(name, StringComparison.OrdinalIgnoreCase)))
                {
                    found.Add(ip.ToString());
                }
            }
        }
        catch (IOException)
        {
            return [];
        }

        return found.Distinct().ToList();
    }
}
