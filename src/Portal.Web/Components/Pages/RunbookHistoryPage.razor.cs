using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Localization;
using MudBlazor;
using Portal.Runbooks.Authoring;
using Portal.Runbooks.Storage;
using Portal.Web.Authoring;
using Portal.Web.Localization;

namespace Portal.Web.Components.Pages;

/// <summary>Every version of a runbook, any two compared (field by field and as YAML), one-click revert.</summary>
public sealed partial class RunbookHistoryPage
{
    private IReadOnlyList<RunbookHistoryEntry>? _history;
    private string? _title;
    private string? _error;
    private int _from;
    private int _to;
    private RunbookDiffResult? _diff;
    private bool _busy;

    [Inject] public required RunbookStore Store { get; init; }

    [Inject] public required RunbookAuthoring Authoring { get; init; }

    [Inject] public required ISnackbar Snackbar { get; init; }

    [Inject] public required AuthenticationStateProvider Auth { get; init; }

    [Inject] public required IStringLocalizer<SharedResource> L { get; init; }

    [Parameter] public required string Slug { get; set; }

    private int Latest => _history is { Count: > 0 } h ? h[0].Version : 0;

    protected override Task OnParametersSetAsync() => LoadAsync();

    private async Task LoadAsync()
    {
        try
        {
            _history = await Store.ListVersionsAsync(Slug);
            if (_history.Count == 0)
            {
                return;
            }

            _title = (await Store.GetCurrentAsync(Slug))?.Content.Title.In(PortalCultures.CurrentLanguage);
            await CompareAsync(Math.Max(1, Latest - 1), Latest);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
        {
            _error = L["Runbook.LoadFailed", ex.Message];
        }
    }

    private async Task CompareAsync(int from, int to)
    {
        (_from, _to) = (from, to);
        var before = await Store.GetVersionAsync(Slug, from);
        var after = await Store.GetVersionAsync(Slug, to);
        _diff = before is null || after is null ? null : RunbookDiff.Compare(Slug, before.Content, after.Content);
    }

    private async Task RevertAsync(int version)
    {
        _busy = true;
        try
        {
            var user = (await Auth.GetAuthenticationStateAsync()).User.Identity?.Name ?? "";
            switch (await Authoring.RevertAsync(Slug, version, Latest, null, new Actor(user, "ui")))
            {
                case AuthoringOutcome.Saved saved:
                    Snackbar.Add(L["History.Reverted", saved.Version, version], Severity.Success);
                    break;
                case AuthoringOutcome.Conflict conflict:
                    Snackbar.Add(L["Conflict.Message", conflict.Details.Current.Author, conflict.Details.Current.Version, conflict.Details.BaseVersion], Severity.Warning);
                    break;
                case AuthoringOutcome.Invalid invalid:
                    Snackbar.Add(string.Join("; ", invalid.Problems), Severity.Error);
                    break;
                case AuthoringOutcome.NotFound notFound:
                    Snackbar.Add(notFound.Message, Severity.Error);
                    break;
            }

            await LoadAsync();
        }
        finally
        {
            _busy = false;
        }
    }
}
