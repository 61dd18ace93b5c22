using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Portal.BrowserTests.Infrastructure;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Portal.BrowserTests;

/// <summary>/targets: add, edit (password kept), delete with confirmation, and the API's validation.</summary>
[Collection(BrowserCollection.Name)]
public sealed class TargetsPageTests(PortalBrowserFixture fixture) : IAsyncLifetime
{
    private const string Environment = "ui-targets";

    /// <summary>The page edits existing environments only; the API creates this one with a first target.</summary>
    public Task InitializeAsync() => MudUi.PutTargetAsync(fixture, Environment, "anchor",
        new { role = "anchor", kind = "host", host = "127.0.0.1", allowLoopback = true });

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task TargetsPage_AddEditDelete_PasswordStaysSetUntilTheTargetIsGone()
    {
        await using var session = await fixture.OpenSessionAsync(new() { Locale = "en" });
        var page = session.Page;
        await session.GotoAsync("/targets");
        await MudUi.SelectAsync(page, "targets-environment", Environment);

        await page.GetByTestId("targets-add").ClickAsync();
        await page.GetByTestId("target-name").FillAsync("cache");
        await page.GetByTestId("target-role").FillAsync("cache");
        await MudUi.SelectAsync(page, KindSelect(page), "redis");
        await page.GetByTestId("target-host").FillAsync("127.0.0.1");
        await page.GetByTestId("target-port").FillAsync("6390");
        await page.GetByTestId("target-password").FillAsync("s3cret-Pw");
        await page.GetByTestId("target-loopback").CheckAsync();
        await page.GetByTestId("target-save").ClickAsync();

        var row = Row(page, "cache");
        await session.CheckAsync("targets-added-en", async () =>
        {
            await Expect(page.GetByTestId("target-editor")).ToHaveCountAsync(0);
            await Expect(row).ToContainTextAsync("127.0.0.1:6390");
            await Expect(row).ToContainTextAsync("password set");
            await Expect(row).ToContainTextAsync("loopback");
            await Expect(page.Locator(".mud-snackbar")).ToContainTextAsync("Target cache saved");
        });
        Assert.DoesNotContain("s3cret-Pw", await page.ContentAsync(), StringComparison.Ordinal);

        await page.GetByTestId("target-edit-cache").ClickAsync();
        await Expect(page.GetByTestId("target-name")).ToBeDisabledAsync();
        await Expect(page.GetByTestId("target-password")).ToHaveValueAsync("");
        await Expect(MudUi.Field(page, "target-password")).ToContainTextAsync("A password is stored; leave empty to keep it");
        await page.GetByTestId("target-role").FillAsync("cache-primary");
        await page.GetByTestId("target-save").ClickAsync();

        await session.CheckAsync("targets-edited-en", async () =>
        {
            await Expect(page.GetByTestId("target-editor")).ToHaveCountAsync(0);
            await Expect(row).ToContainTextAsync("cache-primary");
            await Expect(row).ToContainTextAsync("password set");
        });
        Assert.Matches(new Regex("\"name\":\"cache\"[^}]*\"hasPassword\":true"), await MudUi.TargetsJsonAsync(fixture, Environment));

        await page.GetByTestId("target-delete-cache").ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync("Delete target cache?");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();

        await session.CheckAsync("targets-deleted-en", async () =>
        {
            await Expect(dialog).ToHaveCountAsync(0);
            await Expect(row).ToHaveCountAsync(0);
            await Expect(Row(page, "anchor")).ToHaveCountAsync(1);
        });
        Assert.DoesNotContain("\"cache\"", await MudUi.TargetsJsonAsync(fixture, Environment), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TargetsPage_DeleteCancelled_KeepsTheTarget()
    {
        await MudUi.PutTargetAsync(fixture, Environment, "keep-me", new { role = "keep-me", kind = "host", host = "10.0.0.9" });
        await using var session = await fixture.OpenSessionAsync(new() { Locale = "zh-CN" });
        var page = session.Page;
        await session.GotoAsync("/targets");
        await MudUi.SelectAsync(page, "targets-environment", Environment);

        await page.GetByTestId("target-delete-keep-me").ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "取消" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Dialog)).ToHaveCountAsync(0);
        await Expect(Row(page, "keep-me")).ToHaveCountAsync(1);
        Assert.Contains("\"keep-me\"", await MudUi.TargetsJsonAsync(fixture, Environment), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TargetsPage_BadHostAndPort_ShowsTheApisMessagesAndSavesNothing()
    {
        await using var session = await fixture.OpenSessionAsync(new() { Locale = "en" });
        var page = session.Page;
        await session.GotoAsync("/targets");
        await MudUi.SelectAsync(page, "targets-environment", Environment);

        await page.GetByTestId("targets-add").ClickAsync();
        await page.GetByTestId("target-name").FillAsync("bad");
        await page.GetByTestId("target-role").FillAsync("bad");
        await MudUi.SelectAsync(page, KindSelect(page), "host");
        await page.GetByTestId("target-host").FillAsync("a b");
        await page.GetByTestId("target-port").FillAsync("70000");
        await page.GetByTestId("target-save").ClickAsync();

        await session.CheckAsync("targets-invalid-en", async () =>
        {
            await Expect(MudUi.Field(page, "target-host")).ToContainTextAsync("host must be a DNS name or an IP address");
            await Expect(MudUi.Field(page, "target-port")).ToContainTextAsync("port must be between 1 and 65535.");
            await Expect(page.GetByTestId("target-errors")).ToContainTextAsync("Not saved:");
            await Expect(Row(page, "bad")).ToHaveCountAsync(0);
        });
        Assert.DoesNotContain("\"bad\"", await MudUi.TargetsJsonAsync(fixture, Environment), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("en", false)]
    [InlineData("zh-CN", false)]
    [InlineData("en", true)]
    [InlineData("zh-CN", true)]
    public async Task TargetsPage_SeededLocalEnvironment_ListsItsTargets(string locale, bool phone)
    {
        var options = phone ? BrowserSessionOptions.Phone(locale) : new BrowserSessionOptions { Locale = locale };
        await using var session = await fixture.OpenSessionAsync(options);
        var page = session.Page;
        await session.GotoAsync("/targets?env=local");
        var shot = $"targets-{(phone ? "phone" : "desktop")}-{(locale == "en" ? "en" : "zh")}";

        await session.CheckAsync(shot, async () =>
        {
            await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync(locale == "en" ? "Targets" : "目标");
            await Expect(Row(page, "platform-redis")).ToHaveCountAsync(1);
            if (phone)
            {
                var overflow = await session.MeasureHorizontalOverflowAsync();
                Assert.False(overflow.Scrolls, $"The targets page scrolls sideways on a phone: {overflow}");
            }
        });
        await session.SaveViewportAsync(Screenshots.TestPath(shot + "-viewport"));
    }

    /// <summary>The editor's kind select has no data-testid (TargetEditor.razor); found by its label.</summary>
    private static ILocator KindSelect(IPage page) =>
        page.GetByTestId("target-editor").Locator(".mud-select").Filter(new() { Has = page.Locator("label", new() { HasTextString = "Kind" }) }).First;

    private static ILocator Row(IPage page, string name) =>
        page.Locator("[data-testid=targets-table] tbody tr").Filter(new() { Has = page.GetByTestId($"target-edit-{name}") });
}
