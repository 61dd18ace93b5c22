using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Portal.Runbooks.Model;
using Portal.Runbooks.Seed;
using Portal.Runbooks.Storage;
using Portal.Testing;
using Portal.Web.Auth;

namespace Portal.IntegrationTests;

/// <summary>Editing runbooks through the API on the real host and a real PostgreSQL.</summary>
public sealed class RunbookAuthoringApiTests(PortalHost host) : IClassFixture<PortalHost>
{
    private readonly HttpClient _client = host.CreateClient();

    private async Task<JsonObject> VersionAsync(string slug, int version) =>
        (await _client.GetFromJsonAsync<JsonObject>($"/api/runbooks/{slug}/versions/{version}"))!;

    private async Task<int> CurrentVersionAsync(string slug) =>
        (await _client.GetFromJsonAsync<JsonElement>($"/api/runbooks/{slug}/versions"))[0].GetProperty("version").GetInt32();

    private Task<HttpResponseMessage> PutAsync(string slug, int baseVersion, JsonNode content, string note = "test edit") =>
        _client.PutAsJsonAsync($"/api/runbooks/{slug}", new { baseVersion, note, content });

    [Fact]
    public async Task Save_EditedStep_IsANewVersionInHistoryAndTheDiffShowsTheField()
    {
        var v1 = await VersionAsync("high-cpu", 1);
        var content = v1["content"]!;
        var stepId = content["steps"]![0]!["id"]!.GetValue<string>();
        content["steps"]![0]!["title"]!["en"] = "Look at the CPU first";

        using var saved = await PutAsync("high-cpu", 1, content, "clearer first step");
        var history = await _client.GetFromJsonAsync<JsonElement>("/api/runbooks/high-cpu/versions");
        var diff = await _client.GetFromJsonAsync<JsonElement>("/api/runbooks/high-cpu/diff?from=1&to=2");

        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        Assert.Equal(2, (await saved.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetInt32());
        Assert.Equal("clearer first step", history[0].GetProperty("note").GetString());
        Assert.Equal("admin", history[0].GetProperty("author").GetString());
        var field = Assert.Single(diff.GetProperty("fields").EnumerateArray());
        Assert.Equal($"steps[{stepId}].title.en", field.GetProperty("path").GetString());
        Assert.Equal("changed", field.GetProperty("kind").GetString(), ignoreCase: true);
        Assert.Contains(diff.GetProperty("newLines").EnumerateArray(), l => l.GetProperty("text").GetString()!.Contains("Look at the CPU first", StringComparison.Ordinal));
        var audit = await _client.GetFromJsonAsync<JsonElement>("/api/audit?action=runbook.save");
        Assert.Contains(audit.EnumerateArray(), a => a.GetProperty("target").GetString() == "high-cpu" && a.GetProperty("outcome").GetString() == "success");
    }

    [Fact]
    public async Task Save_BasedOnAnOldVersion_Is409WithTheirChangesAndYours()
    {
        var v1 = await VersionAsync("high-memory", 1);
        var theirs = v1["content"]!.DeepClone();
        theirs["title"]!["en"] = "Memory: their title";
        using (var first = await PutAsync("high-memory", 1, theirs))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        var mine = v1["content"]!.DeepClone();
        mine["summary"]!["en"] = "My summary";
        using var second = await PutAsync("high-memory", 1, mine);
        var body = await second.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal(2, body.GetProperty("currentVersion").GetInt32());
        Assert.Equal("Memory: their title", body.GetProperty("current").GetProperty("content").GetProperty("title").GetProperty("en").GetString());
        Assert.Equal(["title.en"], body.GetProperty("theirChanges").EnumerateArray().Select(c => c.GetProperty("path").GetString()));
        Assert.Equal(["summary.en"], body.GetProperty("yourChanges").EnumerateArray().Select(c => c.GetProperty("path").GetString()));
        Assert.Equal(2, await CurrentVersionAsync("high-memory"));
    }

    [Fact]
    public async Task Save_BrokenRunbook_Is400PerFieldAndWritesNothing()
    {
        var content = (await VersionAsync("service-start", 1))["content"]!;
        content["steps"]![0]!["probe"]!["kind"] = "redis.nonsense";
        content["solutions"]![0]!["body"] = new JsonObject();

        using var response = await PutAsync("service-start", 1, content);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("no probe 'redis.nonsense' in the catalog", errors.GetProperty("steps[0].probe.kind")[0].GetString());
        Assert.Equal("solution text is empty", errors.GetProperty("solutions[0].body")[0].GetString());
        Assert.Equal(1, await CurrentVersionAsync("service-start"));
    }

    [Fact]
    public async Task Save_WithoutContentOrBaseVersion_Is400NamingThem()
    {
        using var response = await _client.PutAsJsonAsync("/api/runbooks/tls", new { note = "nothing" });
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(errors.TryGetProperty("content", out _));
        Assert.True(errors.TryGetProperty("baseVersion", out _));
    }

    [Fact]
    public async Task Revert_ToVersionOne_IsANewVersionWithTheOldContent()
    {
        var v1 = await VersionAsync("slow-response", 1);
        var edited = v1["content"]!.DeepClone();
        edited["title"]!["zh-CN"] = "响应慢（改）";
        (await PutAsync("slow-response", 1, edited)).Dispose();

        using var revert = await _client.PostAsJsonAsync("/api/runbooks/slow-response/revert", new { toVersion = 1, baseVersion = 2 });
        using var stale = await _client.PostAsJsonAsync("/api/runbooks/slow-response/revert", new { toVersion = 1, baseVersion = 2 });
        var v3 = await VersionAsync("slow-response", 3);

        Assert.Equal(HttpStatusCode.OK, revert.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Equal("Revert to version 1", v3["note"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(v1["content"], v3["content"]));
    }

    [Fact]
    public async Task Archive_HidesFromTheCatalog_UnarchiveBringsItBack()
    {
        using var archive = await _client.PostAsync(new Uri("/api/runbooks/data-recovery/archive", UriKind.Relative), null);
        var listed = await _client.GetFromJsonAsync<JsonElement>("/api/runbooks?lang=en");
        using var get = await _client.GetAsync(new Uri("/api/runbooks/data-recovery", UriKind.Relative));
        var history = await _client.GetFromJsonAsync<JsonElement>("/api/runbooks/data-recovery/versions");
        using var unarchive = await _client.PostAsync(new Uri("/api/runbooks/data-recovery/unarchive", UriKind.Relative), null);
        using var missing = await _client.PostAsync(new Uri("/api/runbooks/no-such-runbook/archive", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.NoContent, archive.StatusCode);
        Assert.DoesNotContain(listed.EnumerateArray(), r => r.GetProperty("slug").GetString() == "data-recovery");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal(1, history.GetArrayLength());
        Assert.Equal(HttpStatusCode.NoContent, unarchive.StatusCode);
        Assert.Contains((await _client.GetFromJsonAsync<JsonElement>("/api/runbooks?lang=en")).EnumerateArray(), r => r.GetProperty("slug").GetString() == "data-recovery");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task ExportThenImport_EverySeededRunbook_IsIdenticalAndUnchanged()
    {
        var yaml = await _client.GetStringAsync(new Uri("/api/runbooks/export", UriKind.Relative));
        var exported = RunbookYaml.ReadAll(yaml);

        using var import = await _client.PostAsync(new Uri("/api/runbooks/import", UriKind.Relative), new StringContent(yaml, Encoding.UTF8, "application/yaml"));
        var result = await import.Content.ReadFromJsonAsync<JsonElement>();

        foreach (var seeded in GuideSeeder.LoadRunbooks())
        {
            var back = exported.Single(d => d.Slug == seeded.Slug);
            Assert.Equal(RunbookJson.Canonical(seeded.ToContent()), RunbookJson.Canonical(back.ToContent()));
        }

        Assert.Equal(HttpStatusCode.OK, import.StatusCode);
        Assert.All(result.GetProperty("runbooks").EnumerateArray(), r => Assert.Equal("unchanged", r.GetProperty("outcome").GetString()));
    }

    [Fact]
    public async Task Import_ChangedAndNewRunbooks_CreateVersions_StaleFileIsAConflict()
    {
        var document = RunbookYaml.ReadRunbook(await _client.GetStringAsync(new Uri("/api/runbooks/tls/export", UriKind.Relative)));
        document.Title[Languages.English] = "TLS certificates (imported)";
        var copy = RunbookYaml.ReadRunbook(RunbookYaml.Write(document));
        copy.Slug = "tls-imported";
        copy.Version = null;

        using var import = await _client.PostAsync(new Uri("/api/runbooks/import?note=from%20git", UriKind.Relative),
            new StringContent(RunbookYaml.WriteAll([document, copy]), Encoding.UTF8, "application/yaml"));
        var outcomes = (await import.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runbooks").EnumerateArray()
            .ToDictionary(r => r.GetProperty("slug").GetString()!, r => r.GetProperty("outcome").GetString());
        var history = await _client.GetFromJsonAsync<JsonElement>("/api/runbooks/tls/versions");

        document.Title[Languages.English] = "TLS, from a stale file";
        using var stale = await _client.PostAsync(new Uri("/api/runbooks/import", UriKind.Relative),
            new StringContent(RunbookYaml.Write(document), Encoding.UTF8, "application/yaml"));

        Assert.Equal(HttpStatusCode.OK, import.StatusCode);
        Assert.Equal("updated", outcomes["tls"]);
        Assert.Equal("created", outcomes["tls-imported"]);
        Assert.Equal(("import", "from git"), (history[0].GetProperty("source").GetString(), history[0].GetProperty("note").GetString()));
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Equal(2, await CurrentVersionAsync("tls"));
    }

    [Theory]
    [InlineData("slug: [unclosed", "body")]
    [InlineData("", "body")]
    [InlineData("slug: Bad Slug\ncategory: common\ntitle: {en: x}\nsteps: []\n", "Bad Slug: slug")]
    public async Task Import_BadYaml_Is400AndWritesNothing(string yaml, string field)
    {
        using var response = await _client.PostAsync(new Uri("/api/runbooks/import", UriKind.Relative), new StringContent(yaml, Encoding.UTF8, "application/yaml"));
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(errors.TryGetProperty(field, out _), errors.ToString());
    }

    [Fact]
    public async Task Create_CategoryThenRunbookInIt_AppearsInTheCatalogAndSearch()
    {
        using var category = await _client.PutAsJsonAsync("/api/categories/drills", new { position = 9, title = new Dictionary<string, string> { ["zh-CN"] = "演练", ["en"] = "Drills" } });
        var content = new RunbookContent
        {
            Category = "drills",
            Title = LocalizedText.Of("故障演练", "Failure drill"),
            Symptoms = [LocalizedText.Of("无", "none")],
            Steps = [new RunbookStep { Id = "start", Kind = StepKind.Manual, Title = LocalizedText.Of("开始演练", "Start the drill"), Body = LocalizedText.Of("通知值班的斑马团队。", "Tell the on-call zebra team.") }],
            Solutions = [new RunbookSolution { Id = "done", Title = LocalizedText.Of("结束", "Done"), Body = LocalizedText.Of("记录结果。", "Write down the result.") }],
        };

        using var created = await _client.PutAsJsonAsync("/api/runbooks/failure-drill", new { baseVersion = 0, note = "new", content = JsonSerializer.SerializeToNode(content, RunbookJson.Options) });
        using var again = await _client.PutAsJsonAsync("/api/runbooks/failure-drill", new { baseVersion = 0, note = "new", content = JsonSerializer.SerializeToNode(content, RunbookJson.Options) });
        var zh = await _client.GetFromJsonAsync<JsonElement>("/api/runbooks?lang=zh&q=斑马");
        var en = await _client.GetFromJsonAsync<JsonElement>("/api/runbooks?lang=en&q=zebra");

        Assert.Equal(HttpStatusCode.OK, category.StatusCode);
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("failure-drill", Assert.Single(zh.EnumerateArray()).GetProperty("slug").GetString());
        Assert.Equal("演练", zh[0].GetProperty("categoryTitle").GetString());
        Assert.Equal("failure-drill", Assert.Single(en.EnumerateArray()).GetProperty("slug").GetString());
    }

    [Fact]
    public async Task Responder_MayReadHistoryButNotSave()
    {
        var token = await host.IssueTokenAsync("authoring-responder", await host.CreateUserAsync("authoring-responder", PortalRoles.Responder));
        using var responder = host.CreateClient(token);
        var content = (await VersionAsync("redis-connection", 1))["content"]!;

        using var history = await responder.GetAsync(new Uri("/api/runbooks/redis-connection/versions", UriKind.Relative));
        using var save = await responder.PutAsJsonAsync("/api/runbooks/redis-connection", new { baseVersion = 1, note = "x", content });

        Assert.Equal(HttpStatusCode.OK, history.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, save.StatusCode);
        Assert.Equal(1, await CurrentVersionAsync("redis-connection"));
    }
}
