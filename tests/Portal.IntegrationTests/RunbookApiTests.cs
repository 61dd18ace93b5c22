using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Portal.Testing;

namespace Portal.IntegrationTests;

/// <summary>The runbook API on the real host and a real PostgreSQL seeded at start-up.</summary>
public sealed class RunbookApiTests(PortalHost host) : IClassFixture<PortalHost>
{
    private readonly HttpClient _client = host.CreateClient();

    private async Task<JsonElement> GetJsonAsync(string url, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await _client.GetAsync(new Uri(url, UriKind.Relative));
        Assert.Equal(expected, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task List_Chinese_Returns13RunbooksWithTheDocumentedShape()
    {
        var list = await GetJsonAsync("/api/runbooks?lang=zh");

        Assert.Equal(13, list.GetArrayLength());
        var first = list[0];
        Assert.Equal("service-start", first.GetProperty("slug").GetString());
        Assert.Equal("服务启动问题", first.GetProperty("title").GetString());
        Assert.Equal("common", first.GetProperty("category").GetString());
        Assert.Equal("常见问题诊断", first.GetProperty("categoryTitle").GetString());
        Assert.Contains("端口占用错误", first.GetProperty("symptoms").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(["common", "performance", "network", "emergency"],
            list.EnumerateArray().Select(r => r.GetProperty("category").GetString()).Distinct());
    }

    [Fact]
    public async Task List_English_TranslatesTitlesAndSymptoms()
    {
        var list = await GetJsonAsync("/api/runbooks?lang=en");

        var tls = list.EnumerateArray().Single(r => r.GetProperty("slug").GetString() == "tls");
        Assert.Equal("SSL/TLS problems", tls.GetProperty("title").GetString());
        Assert.Equal("Network problems", tls.GetProperty("categoryTitle").GetString());
        Assert.All(list.EnumerateArray(), r => Assert.DoesNotMatch(@"\p{IsCJKUnifiedIdeographs}", r.GetProperty("title").GetString()!));
    }

    [Fact]
    public async Task List_WithoutLang_FollowsAcceptLanguage()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/runbooks");
        request.Headers.AcceptLanguage.ParseAdd("zh-TW,zh;q=0.9,en;q=0.5");

        using var response = await _client.SendAsync(request);
        var list = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal("服务启动问题", list[0].GetProperty("title").GetString());
    }

    [Theory]
    [InlineData("端口", "service-start")]
    [InlineData("连接池", "database-connection")]
    [InlineData("certificate", "tls")]
    public async Task List_WithQuery_RanksTheMatchingRunbookFirst(string q, string slug)
    {
        var list = await GetJsonAsync($"/api/runbooks?lang=en&q={Uri.EscapeDataString(q)}");

        Assert.Equal(slug, list[0].GetProperty("slug").GetString());
        Assert.True(list.GetArrayLength() < 13);
    }

    [Fact]
    public async Task Get_OneRunbook_HasStepsWithProbesAndSolutions()
    {
        var runbook = await GetJsonAsync("/api/runbooks/service-start?lang=en");

        Assert.Equal("Service fails to start", runbook.GetProperty("title").GetString());
        Assert.Equal("en", runbook.GetProperty("language").GetString());
        Assert.Equal(1, runbook.GetProperty("version").GetInt32());
        var port = runbook.GetProperty("steps")[0];
        Assert.Equal("probe", port.GetProperty("kind").GetString());
        Assert.Equal("port.owner", port.GetProperty("probe").GetProperty("kind").GetString());
        Assert.Equal("platform-api", port.GetProperty("probe").GetProperty("target").GetString());
        Assert.Equal("netstat -tulpn | grep :8000", port.GetProperty("command").GetString());
        Assert.Equal("solution:port-conflict", port.GetProperty("rules")[0].GetProperty("goto").GetString());
        var solutions = runbook.GetProperty("solutions").EnumerateArray().ToList();
        Assert.Equal(4, solutions.Count);
        Assert.Equal(["database-connection", "redis-connection"],
            solutions.Single(s => s.GetProperty("id").GetString() == "dependencies").GetProperty("links").EnumerateArray().Select(l => l.GetString()));
    }

    [Fact]
    public async Task Get_UnknownSlug_Is404ProblemDetails()
    {
        var problem = await GetJsonAsync("/api/runbooks/does-not-exist", HttpStatusCode.NotFound);

        Assert.Equal(404, problem.GetProperty("status").GetInt32());
        Assert.Contains("does-not-exist", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/runbooks?lang=fr")]
    [InlineData("/api/runbooks/tls?lang=klingon")]
    public async Task UnsupportedLanguage_Is400WithAClearMessage(string url)
    {
        var problem = await GetJsonAsync(url, HttpStatusCode.BadRequest);

        Assert.Contains("'zh' or 'en'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenApi_DocumentsTheRunbookEndpoints()
    {
        var document = await GetJsonAsync("/openapi/v1.json");

        var paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/runbooks", out _));
        Assert.True(paths.TryGetProperty("/api/runbooks/{slug}", out var one));
        Assert.True(one.GetProperty("get").GetProperty("responses").TryGetProperty("404", out _));
    }
}
