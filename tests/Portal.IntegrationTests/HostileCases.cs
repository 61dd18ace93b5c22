using System.Text.Json;

namespace Portal.IntegrationTests;

/// <summary>What a hostile request may get.</summary>
public enum Expect
{
    /// <summary>400 naming one of the fields, or a run that the network/file policy refused (nothing sent).</summary>
    Refused,

    /// <summary>Refused, or 404/405/414 when the value breaks the route itself (never 500).</summary>
    RefusedOrNoRoute,

    /// <summary>Free text that is data, not code (a search pattern): accepted or refused, never run by a shell.</summary>
    DataOnly,
}

/// <param name="Body">JSON; "{trap}" and "{web}" are replaced with the fixture's trap port and web base URL.</param>
/// <param name="Fields">Fields a 400 may name (any, when empty).</param>
/// <param name="Target">For target cases: the probe run after the target was saved (kind, parameters JSON).</param>
public sealed record HostileCase(string Id, string Method, string Path, string? Body, string[] Fields, Expect Expect, (string Kind, string Parameters)? Target = null);

/// <summary>The generated cases, by id (xUnit gets ids, so each case is its own test in the runner).</summary>
public static class HostileCases
{
    public static readonly string LongValue = new('a', 10_000);

    /// <summary>Shell metacharacters; each would create the canary if a shell ever ran it.</summary>
    public static readonly string[] Shell =
    [
        "x; touch {canary}", "x | touch {canary}", "x & touch {canary}", "x && touch {canary}", "$(touch {canary})",
        "`touch {canary}`", "x > {canary}", "x < /etc/passwd", "x\ntouch {canary}", "x\r\ntouch {canary}", "x || touch {canary}",
        "${IFS}touch${IFS}{canary}", "x'; touch {canary}; '", "x\"; touch {canary}; \"",
    ];

    public static readonly string[] Options = ["--output=/tmp/x", "-oProxyCommand=touch {canary}", "--config=/etc/shadow", "-e /bin/sh", "--help --version"];

    public static readonly string[] Traversal =
    [
        "../../etc/passwd", "/var/log/../../etc/shadow", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "..%2F..%2Fetc%2Fpasswd", "..\\..\\windows\\win.ini",
        "/var/log/%2e%2e/%2e%2e/etc/shadow", "....//....//etc/passwd",
    ];

    public static readonly string[] Weird =
    [
        "a\u0000b", "a\rX-Injected: 1", "a\r\nSet-Cookie: x=1", "ｐlatform-api", "plаtform-api" /* Cyrillic а */, "платформа", "a\u202Eb",
        "a\u200Bb", "\uFEFFa", "😀", "' OR '1'='1", "a%00b", "%0d%0aX: 1",
    ];

    /// <summary>Hosts that are loopback, metadata or link-local in disguise.</summary>
    public static readonly string[] Hosts =
    [
        "127.0.0.1", "0177.0.0.1", "2130706433", "0x7f000001", "0x7f.0.0.1", "127.1", "127.000.000.001", "[::ffff:127.0.0.1]", "::ffff:127.0.0.1",
        "[::ffff:7f00:1]", "[::1]", "::1", "0:0:0:0:0:0:0:1", "localhost", "localhost.", "LOCALHOST", "loopback.hostile.test", "mapped.hostile.test",
        "169.254.169.254", "0251.0376.0251.0376", "2852039166", "0xa9fea9fe", "[fd00:ec2::254]", "fd00:ec2::254", "169.254.170.2", "100.100.100.200",
        "metadata.hostile.test", "v6meta.hostile.test", "mixed.hostile.test", "[fe80::1]", "0.0.0.0", "0", "10.0.0.1", "192.168.1.1", "[fc00::1]",
        "127.0.0.1:{trap}", "127.0.0.1/x", "user@127.0.0.1", "http://127.0.0.1", "127.0.0.1\r\n", "127.0.0.1 ", "１２７.０.０.１", "127。0。0。1",
    ];

    public static readonly string[] BaseUrls =
    [
        "http://127.0.0.1:{trap}/", "http://0177.0.0.1:{trap}/", "http://2130706433:{trap}/", "http://0x7f000001:{trap}/", "http://0x7f.1:{trap}/",
        "http://[::ffff:127.0.0.1]:{trap}/", "http://[::1]:{trap}/", "http://localhost:{trap}/", "http://localhost.:{trap}/", "http://LocalHost:{trap}/",
        "http://loopback.hostile.test:{trap}/", "http://mapped.hostile.test:{trap}/", "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/", "http://metadata.hostile.test/", "http://v6meta.hostile.test/", "http://mixed.hostile.test:{trap}/",
        "http://2852039166/", "http://[fe80::1]:{trap}/", "https://127.0.0.1:{trap}/",
        "file:///etc/passwd", "gopher://127.0.0.1:{trap}/_INFO", "ftp://127.0.0.1:{trap}/", "dict://127.0.0.1:{trap}/", "javascript:alert(1)",
        "ldap://127.0.0.1:{trap}/", "http://user:pass@127.0.0.1:{trap}/", "http://127.0.0.1:{trap}@example.com/", 
        "http://127.0.0.1:{trap}/\r\nX-Injected: 1", "//127.0.0.1:{trap}/", "127.0.0.1:{trap}", "http:///etc/passwd", "http://１２７.0.0.1:{trap}/",
        "http://127。0。0。1:{trap}/", "http://[::ffff:7f00:1]:{trap}/",
    ];

    public static readonly Dictionary<string, HostileCase> All = Build();

    public static TheoryData<string> Ids(string prefix)
    {
        var data = new TheoryData<string>();
        foreach (var id in All.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)))
        {
            data.Add(id);
        }

        return data;
    }

    private static Dictionary<string, HostileCase> Build()
    {
        var cases = new Dictionary<string, HostileCase>(StringComparer.Ordinal);
        void Add(HostileCase c) => cases.Add(c.Id, c);
        string Json(object o) => JsonSerializer.Serialize(o);
        string Run(string kind, string target, Dictionary<string, string?> parameters) =>
            Json(new { kind, environment = HostileFixture.Environment, target, parameters });

        // Probe parameters with a schema: every hostile value is refused on its field.
        var fields = new (string Kind, string Target, string Field)[]
        {
            ("tcp.connect", "box", "port"), ("dns.resolve", "box", "name"), ("dns.resolve", "box", "record_type"), ("log.search", "box", "path"),
            ("log.search", "box", "mode"), ("journal.tail", "box", "unit"), ("systemd.unit", "box", "unit"), ("port.owner", "box", "service"),
            ("process.inspect", "box", "name"), ("workflow.status", "web", "workflow_id"), ("http.check", "web", "method"),
            ("postgres.privileges", "box", "user"), ("file.permissions", "box", "user"), ("prometheus.query", "box", "job"),
            ("prometheus.query", "box", "step"),
        };
        var values = Shell.Concat(Options).Concat(Weird).Append(LongValue).Append("../../etc/passwd").Append("/var/log/../../etc/shadow").ToArray();
        foreach (var (kind, target, field) in fields)
        {
            for (var i = 0; i < values.Length; i++)
            {
                // Required companions are valid, so only the hostile field can be wrong.
                var parameters = new Dictionary<string, string?> { [field] = values[i] };
                if (kind == "log.search")
                {
                    parameters["pattern"] = "ERROR";
                }

                Add(new($"param/{kind}/{field}/{i:00}", "POST", "/api/runs", Run(kind, target, parameters), [field], Expect.Refused));
            }
        }

        // Paths: traversal, encodings and symlinks are refused by the pattern or by the allowlist (symlinks resolved).
        var paths = Traversal.Concat(["/etc/shadow", "/proc/self/environ", "{logs}/escape.log", "{logs}/../../../etc/passwd", "{logs}/./app.log/../../escape.log",
            "/dev/zero", "{logs}/app.log\u0000.txt", "{logs}/app.log;id"]).ToArray();
        for (var i = 0; i < paths.Length; i++)
        {
            Add(new($"param/log.search/path-traversal/{i:00}", "POST", "/api/runs", Run("log.search", "box", new() { ["path"] = paths[i], ["pattern"] = "ERROR" }), ["path"], Expect.Refused));
            Add(new($"param/file.permissions/path-traversal/{i:00}", "POST", "/api/runs", Run("file.permissions", "box", new() { ["path"] = paths[i] }), ["path"], Expect.Refused));
        }

        // Numbers: out of range, padded, other notations.
        var ports = new[] { "0", "65536", "-1", "80 ", " 80", "0x50", "1e3", "80.0", "+80", "８０", "99999999999999999999", "80;id", "" + LongValue };
        for (var i = 0; i < ports.Length; i++)
        {
            Add(new($"param/tcp.connect/port-range/{i:00}", "POST", "/api/runs", Run("tcp.connect", "box", new() { ["port"] = ports[i] }), ["port"], Expect.Refused));
            Add(new($"param/port.owner/port-range/{i:00}", "POST", "/api/runs", Run("port.owner", "box", new() { ["port"] = ports[i] }), ["port"], Expect.Refused));
        }

        // Free text is data: a search pattern or a body substring may contain anything printable; no shell sees it.
        for (var i = 0; i < Shell.Length; i++)
        {
            Add(new($"param/log.search/pattern/{i:00}", "POST", "/api/runs", Run("log.search", "box", new() { ["pattern"] = Shell[i], ["mode"] = "literal" }), ["pattern"], Expect.DataOnly));
            Add(new($"param/http.check/body_contains/{i:00}", "POST", "/api/runs", Run("http.check", "web", new() { ["body_contains"] = Shell[i] }), ["body_contains"], Expect.DataOnly));
            Add(new($"param/http.check/path/{i:00}", "POST", "/api/runs", Run("http.check", "web", new() { ["path"] = "/" + Shell[i] }), ["path"], Expect.DataOnly));
        }

        // The run request itself.
        var runFields = new (string Name, object Body, string[] Fields)[]
        {
            ("kind-shell", new { kind = "tcp.connect; touch {canary}", environment = "hostile", target = "box" }, ["kind"]),
            ("kind-traversal", new { kind = "../../tcp.connect", environment = "hostile", target = "box" }, ["kind"]),
            ("kind-long", new { kind = LongValue, environment = "hostile", target = "box" }, ["kind"]),
            ("kind-case", new { kind = "TCP.CONNECT", environment = "hostile", target = "box" }, ["kind"]),
            ("kind-nul", new { kind = "tcp.connect\u0000", environment = "hostile", target = "box" }, ["kind"]),
            ("env-traversal", new { kind = "tcp.connect", environment = "../hostile", target = "box" }, ["target"]),
            ("env-long", new { kind = "tcp.connect", environment = LongValue, target = "box" }, ["target"]),
            ("target-crlf", new { kind = "tcp.connect", environment = "hostile", target = "box\r\nX: 1" }, ["target"]),
            ("target-lookalike", new { kind = "tcp.connect", environment = "hostile", target = "bоx" }, ["target"]),
            ("target-sql", new { kind = "tcp.connect", environment = "hostile", target = "box' OR '1'='1" }, ["target"]),
            ("target-long", new { kind = "tcp.connect", environment = "hostile", target = LongValue }, ["target"]),
            ("timeout-zero", new { kind = "tcp.connect", environment = "hostile", target = "box", timeoutSeconds = 0 }, ["timeoutSeconds"]),
            ("timeout-negative", new { kind = "tcp.connect", environment = "hostile", target = "box", timeoutSeconds = -1 }, ["timeoutSeconds"]),
            ("timeout-huge", new { kind = "tcp.connect", environment = "hostile", target = "box", timeoutSeconds = 100000 }, ["timeoutSeconds"]),
            ("param-unknown", new { kind = "tcp.connect", environment = "hostile", target = "box", parameters = new Dictionary<string, string> { ["--output"] = "/tmp/x" } }, ["--output"]),
            ("param-name-long", new { kind = "tcp.connect", environment = "hostile", target = "box", parameters = new Dictionary<string, string> { [LongValue] = "1" } }, []),
            ("param-name-crlf", new { kind = "tcp.connect", environment = "hostile", target = "box", parameters = new Dictionary<string, string> { ["port\r\nX"] = "1" } }, []),
            ("param-secret-long", new { kind = "test.lines", environment = "hostile", target = "box", parameters = new Dictionary<string, string> { ["api_key"] = LongValue } }, ["api_key"]),
        };
        foreach (var (name, body, f) in runFields)
        {
            Add(new($"run/{name}", "POST", "/api/runs", Json(body), f, Expect.Refused));
        }

        // Malformed JSON: the wrong types, overflow, not JSON at all.
        var raw = new (string Name, string Body, string[] Fields)[]
        {
            ("timeout-string", """{"kind":"tcp.connect","environment":"hostile","target":"box","timeoutSeconds":"10 "}""", ["timeoutSeconds"]),
            ("timeout-overflow", """{"kind":"tcp.connect","environment":"hostile","target":"box","timeoutSeconds":2147483648}""", ["timeoutSeconds"]),
            ("parameters-number", """{"kind":"tcp.connect","environment":"hostile","target":"box","parameters":{"port":80}}""", ["parameters.port"]),
            ("parameters-array", """{"kind":"tcp.connect","environment":"hostile","target":"box","parameters":["port"]}""", ["parameters", "body"]),
            ("kind-null", """{"kind":null,"environment":"hostile","target":"box"}""", ["kind"]),
            ("missing-all", "{}", ["kind", "environment", "target"]),
            ("not-json", "kind=tcp.connect&target=box", ["body"]),
            ("truncated", """{"kind":"tcp.connect","environment":""", ["body", "environment"]),
            ("bad-escape", """{"kind":"tcp.connect\x","environment":"hostile","target":"box"}""", ["body", "kind"]),
            ("deep", new string('[', 5000) + new string(']', 5000), ["body"]),
        };
        foreach (var (name, body, f) in raw)
        {
            Add(new($"run/json/{name}", "POST", "/api/runs", body, f, Expect.Refused));
        }

        // Targets whose address is refused: saved (it looks like a host) and then refused at connect time, or refused on its field.
        for (var i = 0; i < Hosts.Length; i++)
        {
            foreach (var (kind, probe, parameters) in new[]
                     {
                         ("host", "tcp.connect", "{\"port\":\"{trap}\",\"timeout_ms\":\"500\"}"),
                         ("redis", "redis.ping", "{\"count\":\"1\"}"),
                         ("postgres", "postgres.connect", "{}"),
                     })
            {
                var body = Json(new { role = "x", kind, host = Hosts[i], port = "{trap}", username = "app", password = HostileFixture.TargetPassword });
                Add(new($"target/host/{kind}/{i:00}", "PUT", $"/api/environments/hostile/targets/h-{kind}-{i:00}", body.Replace("\"{trap}\"", "{trap}", StringComparison.Ordinal), ["host"], Expect.Refused, (probe, parameters)));
            }
        }

        for (var i = 0; i < BaseUrls.Length; i++)
        {
            var body = Json(new { role = "x", kind = "http", baseUrl = BaseUrls[i] });
            Add(new($"target/baseUrl/{i:00}", "PUT", $"/api/environments/hostile/targets/u-{i:00}", body, ["baseUrl"], Expect.Refused, ("http.check", "{\"timeout_ms\":\"1000\"}")));
        }

        // Redirects from an allowed target to refused places: each redirect is checked again.
        foreach (var where in new[] { "metadata", "metadata-v6", "metadata-name", "metadata-decimal", "file", "gopher", "ftp", "link-local" })
        {
            Add(new($"redirect/{where}", "POST", "/api/runs", Run("http.check", "web", new() { ["path"] = "/to/" + where, ["timeout_ms"] = "1000" }), [], Expect.Refused));
        }

        // Other target fields.
        var other = new (string Name, string Body, string[] Fields)[]
        {
            ("port-0", Json(new { role = "x", kind = "host", host = "example.com", port = 0 }), ["port"]),
            ("port-65536", Json(new { role = "x", kind = "host", host = "example.com", port = 65536 }), ["port"]),
            ("port-negative", Json(new { role = "x", kind = "host", host = "example.com", port = -1 }), ["port"]),
            ("port-padded", """{"role":"x","kind":"host","host":"example.com","port":"80 "}""", ["port"]),
            ("port-overflow", """{"role":"x","kind":"host","host":"example.com","port":99999999999}""", ["port"]),
            ("port-float", """{"role":"x","kind":"host","host":"example.com","port":80.5}""", ["port"]),
            ("kind-number", Json(new { role = "x", kind = "1", host = "example.com" }), ["kind"]),
            ("kind-unknown", Json(new { role = "x", kind = "shell", host = "example.com" }), ["kind"]),
            ("role-shell", Json(new { role = "x;id", kind = "host", host = "example.com" }), ["role"]),
            ("role-long", Json(new { role = LongValue, kind = "host", host = "example.com" }), ["role"]),
            ("host-long", Json(new { role = "x", kind = "host", host = LongValue }), ["host"]),
            ("host-shell", Json(new { role = "x", kind = "host", host = "example.com;touch {canary}" }), ["host"]),
            ("host-option", Json(new { role = "x", kind = "host", host = "-oProxyCommand=touch {canary}" }), ["host"]),
            ("host-nul", Json(new { role = "x", kind = "host", host = "example.com\u0000.evil" }), ["host"]),
            ("database-shell", Json(new { role = "x", kind = "postgres", host = "example.com", database = "app; DROP DATABASE app" }), ["database"]),
            ("database-conn", Json(new { role = "x", kind = "postgres", host = "example.com", database = "app;Host=169.254.169.254" }), ["database"]),
            ("username-conn", Json(new { role = "x", kind = "postgres", host = "example.com", username = "u;Password=x" }), ["username"]),
            ("username-long", Json(new { role = "x", kind = "postgres", host = "example.com", username = LongValue }), ["username"]),
            ("password-crlf", Json(new { role = "x", kind = "redis", host = "example.com", password = "pw\r\nFLUSHALL" }), ["password"]),
            ("password-nul", Json(new { role = "x", kind = "redis", host = "example.com", password = "pw\u0000x" }), ["password"]),
            ("password-long", Json(new { role = "x", kind = "redis", host = "example.com", password = LongValue }), ["password"]),
            ("units-shell", Json(new { role = "x", kind = "host", host = "example.com", units = new[] { "api.service; reboot" } }), ["units"]),
            ("units-option", Json(new { role = "x", kind = "host", host = "example.com", units = new[] { "--host=evil" } }), ["units"]),
            ("units-traversal", Json(new { role = "x", kind = "host", host = "example.com", units = new[] { "../../etc/passwd" } }), ["units"]),
            ("units-long", Json(new { role = "x", kind = "host", host = "example.com", units = new[] { LongValue } }), ["units"]),
        };
        foreach (var (name, body, f) in other)
        {
            Add(new($"target/field/{name}", "PUT", $"/api/environments/hostile/targets/f-{name}", body, f, Expect.Refused));
        }

        var logPaths = Traversal.Concat(["relative.log", "/var/log/app.log\n/etc/shadow", "/var/log/app.log;id", "/var/log/$(id).log", "/var/log/..", "/var/log/./../../etc/shadow", LongValue, "/var/log/ａpp.log"]).ToArray();
        for (var i = 0; i < logPaths.Length; i++)
        {
            Add(new($"target/logPaths/{i:00}", "PUT", $"/api/environments/hostile/targets/l-{i:00}",
                Json(new { role = "x", kind = "host", host = "example.com", logPaths = new[] { logPaths[i] } }), ["logPaths"], Expect.Refused));
        }

        // Route values: environment and target names, runbook slugs, incident and run ids.
        var slugs = new[]
        {
            "..", "..%2F..%2Fetc", "%2e%2e", "UPPER", "a%20b", "a;b", "a%0d%0aX:%201", "a%00b", "%EF%BD%90rod", "a'b", "a%22b", "a%3Cscript%3E",
            "-rf", "a.b", new string('a', 64), new string('a', 5000), "%F0%9F%98%80",
        };
        for (var i = 0; i < slugs.Length; i++)
        {
            var body = Json(new { role = "x", kind = "host", host = "example.com" });
            Add(new($"route/put-env/{i:00}", "PUT", $"/api/environments/{slugs[i]}/targets/ok", body, ["environment"], Expect.RefusedOrNoRoute));
            Add(new($"route/put-name/{i:00}", "PUT", $"/api/environments/hostile/targets/{slugs[i]}", body, ["name"], Expect.RefusedOrNoRoute));
            Add(new($"route/get-targets/{i:00}", "GET", $"/api/environments/{slugs[i]}/targets", null, [], Expect.RefusedOrNoRoute));
            Add(new($"route/delete-target/{i:00}", "DELETE", $"/api/environments/hostile/targets/{slugs[i]}", null, [], Expect.RefusedOrNoRoute));
            Add(new($"route/runbook/{i:00}", "GET", $"/api/runbooks/{slugs[i]}?lang={slugs[i]}", null, [], Expect.RefusedOrNoRoute));
            Add(new($"route/incident-start/{i:00}", "POST", "/api/incidents", Json(new { runbook = Uri.UnescapeDataString(slugs[i]), environment = "hostile" }), ["runbook"], Expect.RefusedOrNoRoute));
            Add(new($"route/incident-env/{i:00}", "POST", "/api/incidents", Json(new { runbook = "redis-connection", environment = Uri.UnescapeDataString(slugs[i]) }), ["environment"], Expect.RefusedOrNoRoute));
            Add(new($"route/incident-get/{i:00}", "GET", $"/api/incidents/{slugs[i]}", null, [], Expect.RefusedOrNoRoute));
            Add(new($"route/incident-step/{i:00}", "POST", $"/api/incidents/{Guid.NewGuid()}/steps/{slugs[i]}/run", "{}", [], Expect.RefusedOrNoRoute));
            Add(new($"route/run-get/{i:00}", "GET", $"/api/runs/{slugs[i]}", null, [], Expect.RefusedOrNoRoute));
            Add(new($"route/run-output/{i:00}", "GET", $"/api/runs/{slugs[i]}/output.txt", null, [], Expect.RefusedOrNoRoute));
        }

        foreach (var (name, query) in new[]
                 {
                     ("since-garbage", "since=yesterday%3B"), ("limit-huge", "limit=99999999999"), ("limit-negative", "limit=-5"),
                     ("actor-crlf", "actor=a%0d%0ab"), ("action-like", "action=%25"), ("actor-long", "actor=" + new string('a', 5000)),
                 })
        {
            Add(new($"route/audit/{name}", "GET", "/api/audit?" + query, null, [], Expect.RefusedOrNoRoute));
        }

        return cases;
    }
}
