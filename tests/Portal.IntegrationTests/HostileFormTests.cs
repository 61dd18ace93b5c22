using System.Globalization;
using System.Text.Json;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using Portal.Web.Components.Pages;

namespace Portal.IntegrationTests;

/// <summary>
/// The hostile parameter cases again, typed into the probes page's form as a person would (bUnit
/// against the real portal's services: runner, inventory, PostgreSQL): each is refused on its
/// field with the runner's message, starts nothing, runs no shell and is audited.
/// </summary>
public sealed class HostileFormTests(HostileFixture fixture) : IClassFixture<HostileFixture>, IAsyncLifetime
{
    private const string User = "hostile-ui";
    private readonly BunitContext _ui = new();

    /// <summary>Cases whose hostile field is a text box: fields with fixed choices cannot be typed into.</summary>
    public static TheoryData<string> FormCases
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var (id, c) in HostileCases.All.Where(c => c.Key.StartsWith("param/", StringComparison.Ordinal) && c.Value.Expect == Expect.Refused))
            {
                if (!ChoiceFields.Contains(c.Fields[0]))
                {
                    data.Add(id);
                }
            }

            return data;
        }
    }

    private static readonly HashSet<string> ChoiceFields = ["record_type", "mode", "method"];

    /// <summary>The form offers only targets a probe fits, so the PostgreSQL and Prometheus cases get theirs (pointing at the trap, loopback not allowed).</summary>
    private static readonly Dictionary<string, string> FittingTarget = new(StringComparer.Ordinal)
    {
        ["postgres.privileges"] = "form-pg", ["prometheus.query"] = "form-prom",
    };

    public async Task InitializeAsync()
    {
        var trap = fixture.TrapPort;
        foreach (var (name, body) in new (string, object)[]
                 {
                     ("form-pg", new { role = "db", kind = "postgres", host = "127.0.0.1", port = trap, database = "postgres", username = "postgres" }),
                     ("form-prom", new { role = "metrics", kind = "prometheus", baseUrl = $"http://127.0.0.1:{trap}/" }),
                 })
        {
            using var put = await System.Net.Http.Json.HttpClientJsonExtensions.PutAsJsonAsync(fixture.Admin, $"/api/environments/{HostileFixture.Environment}/targets/{name}", body);
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        _ui.JSInterop.Mode = JSRuntimeMode.Loose;
        _ui.Services.AddMudServices(o => o.SnackbarConfiguration.ShowTransitionDuration = 0);
        _ui.Services.AddLocalization();
        // What the page works with is the running portal's own: runner, inventory, run store, probes.
        var portal = fixture.Host.Services;
        _ui.Services.AddSingleton(portal.GetRequiredService<Portal.Probes.ProbeCatalog>());
        _ui.Services.AddSingleton(portal.GetRequiredService<Portal.Web.Inventory.InventoryStore>());
        _ui.Services.AddSingleton(portal.GetRequiredService<Portal.Web.Runs.ProbeRunner>());
        _ui.Services.AddSingleton(portal.GetRequiredService<Portal.Web.Runs.RunStore>());
        _ui.Services.AddSingleton(portal.GetRequiredService<Portal.Web.Runs.IRunEventSource>());
        _ui.Services.AddSingleton(portal.GetRequiredService<Portal.Web.Runs.IRunControl>());
        _ui.AddAuthorization().SetAuthorized(User).SetRoles("responder");
        CultureInfo.CurrentUICulture = new CultureInfo("en");
        _ui.Render<MudPopoverProvider>();
    }

    public async Task DisposeAsync() => await _ui.DisposeAsync();

    [Theory]
    [MemberData(nameof(FormCases))]
    public async Task ProbesPageForm_HostileValue_RefusedOnTheFieldAndNothingRuns(string id)
    {
        var hostile = HostileCases.All[id];
        using var body = JsonDocument.Parse(hostile.Body!.Replace("{canary}", fixture.Canary, StringComparison.Ordinal)
            .Replace("{logs}", fixture.LogDirectory, StringComparison.Ordinal));
        var request = body.RootElement;
        var parameters = request.GetProperty("parameters").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
        var field = hostile.Fields[0];
        var refusedBefore = await CountRefusalsAsync();

        var page = _ui.Render<ProbesPage>();
        await Choose(page, "probes-environment", HostileFixture.Environment);
        var kind = request.GetProperty("kind").GetString()!;
        await Choose(page, "probes-kind", kind);
        await Choose(page, "probes-target", FittingTarget.GetValueOrDefault(kind, request.GetProperty("target").GetString()!));
        foreach (var (name, value) in parameters)
        {
            page.WaitForElement($"[data-testid=param-{name}]");
            var box = page.Find($"[data-testid=param-{name}]");
            var input = box.TagName is "INPUT" or "TEXTAREA" ? box : box.QuerySelector("input,textarea")!;
            input.Input(value);
            input.Blur();
        }

        // The last input's blur may still be re-rendering the form: click the button of the latest render.
        page.WaitForAssertion(() => page.Find("[data-testid=probes-run]").Click());

        var navigation = _ui.Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>();
        page.WaitForAssertion(() => Assert.True(
            navigation.Uri.Contains("run=", StringComparison.Ordinal) || page.FindAll("[data-testid=probes-not-started]").Count > 0,
            $"{id}: neither refused nor started: {page.Find("[data-testid=probes-run]").OuterHtml}"));
        if (navigation.Uri.Contains("run=", StringComparison.Ordinal))
        {
            // A path that passes the pattern is refused by the file policy (allowlist, symlinks resolved) when the run opens it.
            var runId = Guid.Parse(navigation.Uri[(navigation.Uri.IndexOf("run=", StringComparison.Ordinal) + 4)..]);
            await AssertRefusedByPolicyAsync(id, runId);
        }
        else
        {
            // The field itself is marked and says why; the summary next to the button repeats it.
            var control = page.Find($"[data-testid=param-{field}]").Closest(".mud-input-control")!;
            Assert.Contains("mud-input-error", control.ClassName, StringComparison.Ordinal);
            var why = control.QuerySelector(".mud-input-helper-text")?.TextContent.Trim();
            Assert.False(string.IsNullOrEmpty(why), $"{id}: no message on the field");
            Assert.Contains(why, page.Find("[data-testid=probes-not-started]").TextContent, StringComparison.Ordinal);
            Assert.Equal(refusedBefore + 1, await CountRefusalsAsync());
        }

        Assert.False(File.Exists(fixture.Canary), $"{id}: a shell ran");
        Assert.Equal(0, fixture.TrapAccepted);
    }

    private async Task AssertRefusedByPolicyAsync(string id, Guid runId)
    {
        var runs = fixture.Host.Services.GetRequiredService<Portal.Web.Runs.RunStore>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Portal.Web.Runs.RunRecord? run;
        while ((run = await runs.GetAsync(runId, deadline.Token)) is null or { FinishedAt: null })
        {
            await Task.Delay(20, deadline.Token);
        }

        var errors = run.Findings.Where(f => f.Key.EndsWith(".error", StringComparison.Ordinal)).Select(f => f.Value).ToList();
        Assert.True(errors.Any(e => e is "refused_by_policy"), $"{id}: errors [{string.Join(", ", errors)}]");
    }

    /// <summary>What picking an entry in a drop-down does: the select's ValueChanged with that value.</summary>
    private static async Task Choose(IRenderedComponent<ProbesPage> page, string testId, string value)
    {
        page.WaitForAssertion(() => Assert.Contains(page.FindComponents<MudSelect<string>>(), s => s.Instance.UserAttributes.TryGetValue("data-testid", out var t) && (string?)t == testId));
        var select = page.FindComponents<MudSelect<string>>().Single(s => s.Instance.UserAttributes.TryGetValue("data-testid", out var t) && (string?)t == testId);
        await page.InvokeAsync(() => select.Instance.ValueChanged.InvokeAsync(value));
    }

    private async Task<int> CountRefusalsAsync()
    {
        var audit = fixture.Host.Services.GetRequiredService<Portal.Web.Auth.AuditLog>();
        var entries = await audit.QueryAsync(User, "probe.run", null, 10_000);
        return entries.Count(e => e.Outcome == "refused" && e.Source == "ui");
    }
}
