using System.Net.Http.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Portal.BrowserTests.Infrastructure;

/// <summary>MudBlazor controls as a person uses them, and the inventory API for test data.</summary>
public static class MudUi
{
    /// <summary>
    /// Opens the MudSelect marked <paramref name="testId"/> (MudBlazor puts the attribute on the
    /// inner input) and picks the option whose text starts with <paramref name="option"/>.
    /// </summary>
    public static Task SelectAsync(IPage page, string testId, string option) =>
        SelectAsync(page, page.Locator($".mud-select:has([data-testid='{testId}'])").First, option);

    /// <summary>Picks an option of the MudSelect <paramref name="select"/> (for selects without a test id).</summary>
    public static async Task SelectAsync(IPage page, ILocator select, string option)
    {
        await select.Locator(".mud-input-control").First.ClickAsync();
        var item = page.Locator(".mud-popover-open [role=option]").Filter(new() { HasText = option }).First;
        await item.ClickAsync();
        await Expect(page.Locator(".mud-popover-open [role=option]")).ToHaveCountAsync(0);
    }

    /// <summary>The field around an input marked <paramref name="testId"/>: label, input, helper or error text.</summary>
    public static ILocator Field(IPage page, string testId) =>
        page.Locator($".mud-input-control:has([data-testid='{testId}'])").First;

    /// <summary>PUT /api/environments/{env}/targets/{name}; fails the test unless the API says 200.</summary>
    public static async Task PutTargetAsync(PortalBrowserFixture portal, string environment, string name, object target)
    {
        using var client = portal.CreateApiClient();
        using var response = await client.PutAsJsonAsync($"/api/environments/{environment}/targets/{name}", target);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"PUT target {environment}/{name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>GET /api/environments/{env}/targets as raw JSON.</summary>
    public static async Task<string> TargetsJsonAsync(PortalBrowserFixture portal, string environment)
    {
        using var client = portal.CreateApiClient();
        return await client.GetStringAsync(new Uri($"/api/environments/{environment}/targets", UriKind.Relative));
    }
}
