using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Portal.Web.Runs;

namespace Portal.IntegrationTests;

/// <summary>
/// Hostile input through the API and the hub: every case is refused with a clear per-field message
/// or by the network/file policy at connect time (nothing reaches the trap), never a 500, never a
/// shell (the canary file never appears), and the portal keeps serving.
/// </summary>
public sealed class HostileInputTests(HostileFixture fixture) : IClassFixture<HostileFixture>
{
    public static TheoryData<string> ParameterCases => HostileCases.Ids("param/");

    public static TheoryData<string> RunCases => HostileCases.Ids("run/");

    public static TheoryData<string> TargetCases => HostileCases.Ids("target/");

    public static TheoryData<string> RedirectCases => HostileCases.Ids("redirect/");

    public static TheoryData<string> RouteCases => HostileCases.Ids("route/");

    [Theory]
    [MemberData(nameof(ParameterCases))]
    public Task RunParameters_HostileValue_RefusedOnTheField(string id) => CheckAsync(id);

    [Theory]
    [MemberData(nameof(RunCases))]
    public Task RunRequest_HostileShape_RefusedOnTheField(string id) => CheckAsync(id);

    [Theory]
    [MemberData(nameof(TargetCases))]
    public Task Targets_HostileAddressOrField_RefusedOnTheFieldOrAtConnect(string id) => CheckAsync(id);

    [Theory]
    [MemberData(nameof(RedirectCases))]
    public Task HttpCheck_RedirectToARefusedPlace_IsRefused(string id) => CheckAsync(id);

    [Theory]
    [MemberData(nameof(RouteCases))]
    public Task Routes_WeirdSlugsAndIds_AnswerWithoutServerErrors(string id) => CheckAsync(id);

    public static TheoryData<string, string> HubCases => new()
    {
        { "unknown-run", "[\"" + Guid.NewGuid() + "\",0]" },
        { "empty-guid", "[\"00000000-0000-0000-0000-000000000000\",0]" },
        { "traversal-id", "[\"../../etc/passwd\",0]" },
        { "sql-id", "[\"' OR 1=1 --\",0]" },
        { "long-id", "[\"" + HostileCases.LongValue + "\",0]" },
        { "null-id", "[null,0]" },
        { "number-id", "[42,0]" },
        { "object-id", "[{\"$type\":\"System.IO.FileInfo\"},0]" },
        { "seq-string", "[\"" + Guid.NewGuid() + "\",\"abc\"]" },
        { "seq-float", "[\"" + Guid.NewGuid() + "\",1.5]" },
        { "seq-overflow", "[\"" + Guid.NewGuid() + "\",99999999999999999999999]" },
        { "too-few", "[\"" + Guid.NewGuid() + "\"]" },
        { "too-many", "[\"" + Guid.NewGuid() + "\",0,1,2]" },
        { "crlf-id", "[\"a\\r\\nb\",0]" },
        { "nul-id", "[\"a\\u0000b\",0]" },
    };

    /// <summary>Bad ids sent to StreamRun as raw JSON: a clear hub error, and the connection stays usable.</summary>
    [Theory]
    [MemberData(nameof(HubCases))]
    public async Task Hub_StreamRunWithBadArguments_FailsCleanlyAndTheConnectionLives(string name, string argumentsJson)
    {
        await using var connection = await ConnectAsync();
        var arguments = JsonSerializer.Deserialize<JsonElement[]>(argumentsJson)!.Select(a => (object?)a).ToArray();

        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await foreach (var _ in connection.StreamAsyncCore<JsonElement>("StreamRun", arguments))
            {
            }
        });

        Assert.True(error is HubException, $"{name}: {error.GetType().Name}: {error.Message}");
        Assert.DoesNotContain("   at ", error.Message, StringComparison.Ordinal);
        Assert.Equal(HubConnectionState.Connected, connection.State);
        await AssertStillStreamsAsync(connection);
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(long.MinValue)]
    [InlineData(long.MaxValue)]
    public async Task Hub_StreamRunWithExtremeSequence_EndsWithoutError(long fromSeq)
    {
        var runId = await StartLinesAsync();
        await using var connection = await ConnectAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        var events = new List<RunEvent>();
        await foreach (var batch in connection.StreamAsync<List<RunEvent>>("StreamRun", runId, fromSeq, deadline.Token))
        {
            events.AddRange(batch);
        }

        Assert.True(fromSeq == long.MaxValue ? events.Count == 0 : events[^1].IsTerminal);
    }

    /// <summary>Refusals are on record: every refused run request adds one probe.run/refused, every policy refusal one probe.refused.</summary>
    [Fact]
    public async Task Audit_RecordsEveryRefusal()
    {
        var token = await fixture.Host.IssueTokenAsync("auditee", await fixture.Host.CreateUserAsync("auditee", "responder"));
        using var client = fixture.Host.CreateClient(token);
        var before = await CountAsync("auditee", "probe.run", "refused");

        var hostile = HostileCases.Shell.Concat(HostileCases.Options).ToList();
        foreach (var value in hostile)
        {
            using var response = await client.PostAsJsonAsync("/api/runs", new { kind = "journal.tail", environment = "hostile", target = "box", parameters = new { unit = value } });
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        using var put = await fixture.Admin.PutAsJsonAsync("/api/environments/hostile/targets/audit-meta", new { role = "x", kind = "host", host = "metadata.hostile.test" });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        using var start = await client.PostAsJsonAsync("/api/runs", new { kind = "tcp.connect", environment = "hostile", target = "audit-meta", parameters = new { port = "80" } });
        var runId = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetGuid();
        await WaitFinishedAsync(runId);

        Assert.Equal(before + hostile.Count, await CountAsync("auditee", "probe.run", "refused"));
        var policy = await fixture.Admin.GetFromJsonAsync<JsonElement>("/api/audit?actor=auditee&action=probe.refused");
        Assert.Contains(policy.EnumerateArray(), e => e.GetProperty("details").GetString()!.Contains(runId.ToString(), StringComparison.Ordinal));
    }

    /// <summary>
    /// Secrets planted in a target password, a secret parameter, probe output and a probe's exception
    /// appear in no API response, hub message, log line or table.
    /// </summary>
    [Fact]
    public async Task Secrets_PlantedEverywhere_NeverLeaveTheServer()
    {
        var lines = await StartAsync("test.lines", new { lines = "3", api_key = HostileFixture.SecretParameter });
        var throws = await StartAsync("test.throws", new { api_key = HostileFixture.SecretParameter });
        var web = await StartAsync("http.check", new { path = "/" }, "web");
        using var badPassword = await fixture.Admin.PutAsJsonAsync("/api/environments/hostile/targets/leaky", new
        {
            role = "x", kind = "redis", host = "example.com", password = HostileFixture.TargetPassword + "\r\n",
        });
        Assert.Equal(HttpStatusCode.BadRequest, badPassword.StatusCode);

        var texts = new List<(string Where, string Text)>();
        foreach (var runId in new[] { lines, throws, web })
        {
            var run = await WaitFinishedAsync(runId);
            texts.Add(($"GET /api/runs/{runId}", run.GetRawText()));
            texts.Add(("output.txt", await fixture.Admin.GetStringAsync(new Uri($"/api/runs/{runId}/output.txt", UriKind.Relative))));
            await using var connection = await ConnectAsync();
            var hub = new StringBuilder();
            await foreach (var batch in connection.StreamAsync<JsonElement>("StreamRun", runId, 0L))
            {
                hub.Append(batch.GetRawText());
            }

            texts.Add(("hub", hub.ToString()));
        }

        Assert.Equal("error", (await WaitFinishedAsync(throws)).GetProperty("status").GetString());
        texts.Add(("PUT refusal", await badPassword.Content.ReadAsStringAsync()));
        foreach (var path in new[] { "/api/environments/hostile/targets", "/api/audit?limit=5000", "/api/audit/export.csv", "/api/auth/tokens", "/api/incidents" })
        {
            texts.Add((path, await fixture.Admin.GetStringAsync(new Uri(path, UriKind.Relative))));
        }

        texts.Add(("logs", fixture.Host.Logs.Text));
        texts.Add(("tables", await DumpAllTextAsync()));

        Assert.Contains(texts, t => t.Where == "logs" && t.Text.Contains("test.throws", StringComparison.Ordinal));
        foreach (var (where, text) in texts)
        {
            Assert.False(text.Contains(HostileFixture.TargetPassword, StringComparison.Ordinal), $"the target password leaked into {where}");
            Assert.False(text.Contains(HostileFixture.SecretParameter, StringComparison.Ordinal), $"the secret parameter leaked into {where}");
        }
    }

    private async Task CheckAsync(string id)
    {
        var c = HostileCases.All[id];
        var trapBefore = fixture.TrapAccepted;
        // Targets are an admin's; runs a responder's.
        using var response = await SendAsync(c.Method, c.Path, c.Body, c.Method is "PUT" or "DELETE" || c.Path.StartsWith("/api/audit", StringComparison.Ordinal) ? fixture.Admin : fixture.Responder);
        var text = await response.Content.ReadAsStringAsync();
        var status = (int)response.StatusCode;
        Assert.True(status < 500, $"{id}: {status} {Clip(text)}");

        switch (c.Expect)
        {
            case Expect.RefusedOrNoRoute:
                var allowed = c.Method == "GET" ? [200, 400, 404, 405, 414] : new[] { 400, 404, 405, 414 };
                Assert.True(allowed.Contains(status), $"{id}: {status} {Clip(text)}");
                if (status == 400 && text.Length > 0)
                {
                    // Problem details (Kestrel itself answers a NUL in the path with an empty 400).
                    AssertClearProblem(id, text, [], requireFieldErrors: false);
                }

                break;
            case Expect.DataOnly:
                Assert.True(status is 202 or 400, $"{id}: {status} {Clip(text)}");
                if (status == 202)
                {
                    await WaitFinishedAsync(RunId(text));
                }
                else
                {
                    AssertClearProblem(id, text, c.Fields);
                }

                break;
            default:
                if (c.Target is { } probe && status == 200)
                {
                    // A name that looks fine was saved; the run must be refused before anything is sent.
                    var name = c.Path[(c.Path.LastIndexOf('/') + 1)..];
                    using var run = await SendAsync("POST", "/api/runs",
                        $$"""{"kind":"{{probe.Kind}}","environment":"hostile","target":"{{name}}","parameters":{{probe.Parameters}}}""", fixture.Responder);
                    var runText = await run.Content.ReadAsStringAsync();
                    Assert.True(run.StatusCode == HttpStatusCode.Accepted, $"{id}: run {(int)run.StatusCode} {Clip(runText)}");
                    await AssertRefusedByPolicyAsync(id, RunId(runText));
                }
                else if (status == 202)
                {
                    await AssertRefusedByPolicyAsync(id, RunId(text));
                }
                else
                {
                    Assert.True(status == 400, $"{id}: {status} {Clip(text)}");
                    AssertClearProblem(id, text, c.Fields);
                }

                break;
        }

        Assert.Equal(trapBefore, fixture.TrapAccepted);
        Assert.Equal(0, fixture.TrapAccepted);
        Assert.False(File.Exists(fixture.Canary), $"{id}: a shell ran");
        using var health = await fixture.Admin.GetAsync(new Uri("/health/live", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    /// <summary>Problem details with messages per field: short, one line, naming an expected field.</summary>
    private static void AssertClearProblem(string id, string text, string[] fields, bool requireFieldErrors = true)
    {
        using var json = JsonDocument.Parse(text);
        if (!requireFieldErrors && !json.RootElement.TryGetProperty("errors", out _))
        {
            var detail = json.RootElement.TryGetProperty("detail", out var d) ? d.GetString() ?? "" : "";
            Assert.False(string.IsNullOrWhiteSpace(json.RootElement.GetProperty("title").GetString()), $"{id}: no title");
            Assert.True(detail.Length < 600, $"{id}: detail of {detail.Length} characters echoes the input");
            Assert.DoesNotContain(detail, ch => ch is '\r' or '\n' or '\0');
            return;
        }

        Assert.True(json.RootElement.TryGetProperty("errors", out var errors), $"{id}: no per-field errors: {Clip(text)}");
        var keys = errors.EnumerateObject().Select(p => p.Name).ToList();
        Assert.NotEmpty(keys);
        if (fields.Length > 0)
        {
            Assert.True(keys.Intersect(fields).Any(), $"{id}: errors name [{string.Join(", ", keys)}], expected one of [{string.Join(", ", fields)}]");
        }

        foreach (var message in errors.EnumerateObject().SelectMany(p => p.Value.EnumerateArray()).Select(m => m.GetString() ?? ""))
        {
            Assert.False(string.IsNullOrWhiteSpace(message), $"{id}: empty message");
            Assert.True(message.Length < 600, $"{id}: message of {message.Length} characters echoes the input");
            Assert.DoesNotContain(message, ch => ch is '\r' or '\n' or '\0');
        }
    }

    private async Task AssertRefusedByPolicyAsync(string id, Guid runId)
    {
        var run = await WaitFinishedAsync(runId);
        var status = run.GetProperty("status").GetString();
        var errors = run.GetProperty("findings").EnumerateObject()
            .Where(f => f.Name.EndsWith(".error", StringComparison.Ordinal)).Select(f => f.Value.GetString()).ToList();
        Assert.True(status is "fail" or "error" && errors.Any(e => e is "refused_by_policy" or "redirect_refused" or "scheme_refused"),
            $"{id}: {status}, errors [{string.Join(", ", errors)}]: {run.GetProperty("summary").GetString()}");
    }

    private async Task<HttpResponseMessage> SendAsync(string method, string path, string? body, HttpClient client)
    {
        var resolved = path.Replace("{trap}", fixture.TrapPort.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var request = new HttpRequestMessage(new HttpMethod(method), new Uri(resolved, UriKind.Relative));
        if (body is not null)
        {
            body = body.Replace("{trap}", fixture.TrapPort.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("{canary}", fixture.Canary, StringComparison.Ordinal)
                .Replace("{logs}", fixture.LogDirectory, StringComparison.Ordinal);
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return await client.SendAsync(request);
    }

    private async Task<Guid> StartAsync(string kind, object parameters, string target = "box")
    {
        using var response = await fixture.Responder.PostAsJsonAsync("/api/runs", new { kind, environment = "hostile", target, parameters });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, text);
        return RunId(text);
    }

    private Task<Guid> StartLinesAsync() => StartAsync("test.lines", new { lines = "5" });

    private static Guid RunId(string json) => JsonDocument.Parse(json).RootElement.GetProperty("runId").GetGuid();

    private async Task<JsonElement> WaitFinishedAsync(Guid runId)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var run = await fixture.Admin.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}", deadline.Token);
            if (run.GetProperty("status").GetString() != "running")
            {
                return run;
            }

            await Task.Delay(20, deadline.Token);
        }
    }

    private async Task<HubConnection> ConnectAsync()
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(fixture.Host.BaseAddress, "/hubs/runs"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(fixture.ResponderToken))
            .Build();
        await connection.StartAsync();
        return connection;
    }

    private async Task AssertStillStreamsAsync(HubConnection connection)
    {
        var runId = await StartLinesAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var events = new List<RunEvent>();
        await foreach (var batch in connection.StreamAsync<List<RunEvent>>("StreamRun", runId, 0L, deadline.Token))
        {
            events.AddRange(batch);
        }

        Assert.True(events[^1].IsTerminal);
    }

    private async Task<int> CountAsync(string actor, string action, string outcome)
    {
        var entries = await fixture.Admin.GetFromJsonAsync<JsonElement>($"/api/audit?actor={actor}&action={action}&limit=5000");
        return entries.EnumerateArray().Count(e => e.GetProperty("outcome").GetString() == outcome);
    }

    /// <summary>Every text-like column of every table, as a pg_dump would show them.</summary>
    private async Task<string> DumpAllTextAsync()
    {
        var dump = new StringBuilder();
        await using var columns = fixture.Host.Database.DataSource.CreateCommand("""
            SELECT table_name, column_name FROM information_schema.columns
            WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'jsonb', 'json', 'bytea', 'ARRAY', 'USER-DEFINED')
            """);
        var list = new List<(string Table, string Column)>();
        await using (var reader = await columns.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                list.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        Assert.Contains(list, c => c.Table == "targets");
        foreach (var (table, column) in list)
        {
            await using var select = fixture.Host.Database.DataSource.CreateCommand($"SELECT coalesce(string_agg(\"{column}\"::text, '\n'), '') FROM \"{table}\"");
            dump.Append((string)(await select.ExecuteScalarAsync())!).Append('\n');
        }

        return dump.ToString();
    }

    private static string Clip(string text) => text.Length <= 400 ? text : text[..400] + "…";
}
