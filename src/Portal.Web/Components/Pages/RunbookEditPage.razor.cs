using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Localization;
using Microsoft.JSInterop;
using MudBlazor;
using Portal.Probes;
using Portal.Runbooks.Model;
using Portal.Runbooks.Storage;
using Portal.Web.Authoring;
using Portal.Web.Components.Editor;
using Portal.Web.Localization;

namespace Portal.Web.Components.Pages;

/// <summary>
/// The runbook editor. Every change re-validates at once (the same checks the API enforces) and is
/// kept as a draft in this browser's localStorage, so a refresh, a dropped connection or a closed tab
/// loses nothing: the draft lives where the typing happens and costs the database nothing per
/// keystroke. Saving is optimistic; a refused save shows both changes.
/// </summary>
public sealed partial class RunbookEditPage : IAsyncDisposable
{
    private RunbookEditorState? _state;
    private string? _error;
    private int _baseVersion;
    private bool _archived;
    private string _newSlug = "";
    private string? _note;
    private bool _saving;
    private RunbookConflict? _conflict;
    private DraftRecord? _draftOffer;
    private DateTimeOffset? _draftSaved;
    private IReadOnlyList<Category> _categories = [];
    private HashSet<string> _slugs = [];
    private IJSObjectReference? _drafts;
    private bool _newCategoryOpen;
    private string? _newCategoryKey;
    private LocalizedText _newCategoryTitle = new();
    private string? _newCategoryError;

    [Inject] public required RunbookStore Store { get; init; }

    [Inject] public required RunbookAuthoring Authoring { get; init; }

    [Inject] public required RunbookEditValidator Validator { get; init; }

    [Inject] public required ProbeCatalog Probes { get; init; }

    [Inject] public required IJSRuntime Js { get; init; }

    [Inject] public required NavigationManager Navigation { get; init; }

    [Inject] public required ISnackbar Snackbar { get; init; }

    [Inject] public required AuthenticationStateProvider Auth { get; init; }

    [Inject] public required IStringLocalizer<SharedResource> L { get; init; }

    /// <summary>Null on /runbooks/new.</summary>
    [Parameter] public string? Slug { get; set; }

    private bool IsNew => Slug is null;

    private string EditedSlug => Slug ?? _newSlug;

    private string DraftKey => $"portal.runbook-draft.{Slug ?? "new"}";

    private static string Language => PortalCultures.CurrentLanguage;

    protected override async Task OnParametersSetAsync()
    {
        try
        {
            _categories = await Store.ListCategoriesAsync();
            _slugs = [.. (await Store.ListCurrentAsync(includeArchived: true)).Select(r => r.Slug)];
            RunbookContent content;
            if (IsNew)
            {
                content = NewRunbook(_categories.Count > 0 ? _categories[0].Key : "");
                _baseVersion = 0;
            }
            else if (await Store.GetCurrentAsync(Slug!) is { } current)
            {
                content = Copy(current.Content);
                _baseVersion = current.Version;
                _archived = current.Archived;
            }
            else
            {
                _error = L["Runbook.NotFound", Slug!];
                return;
            }

            Open(content);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
        {
            _error = L["Runbook.LoadFailed", ex.Message];
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender || _state is null)
        {
            return;
        }

        try
        {
            var json = await (await DraftsAsync()).InvokeAsync<string?>("load", DraftKey);
            if (json is not null && ReadDraft(json) is { } draft
                && RunbookJson.Hash(draft.Content) != RunbookJson.Hash(_state.Content))
            {
                _draftOffer = draft;
                StateHasChanged();
            }
        }
        catch (JSDisconnectedException)
        {
            // The circuit went away while loading; the next visit offers the draft.
        }
    }

    private void Open(RunbookContent content)
    {
        var roles = new SortedSet<string>(StringComparer.Ordinal) { "platform-api", "platform-db", "platform-redis", "fine-tuning-service", "prometheus" };
        _state = new RunbookEditorState(content, [.. Probes.Descriptors], [.. roles], ChangedAsync);
        Validate();
    }

    private void Validate()
    {
        if (_state is not null)
        {
            _state.Problems = [.. Validator.Validate(EditedSlug, _state.Content, [.. _categories.Select(c => c.Key)], _slugs)
                .Where(p => !(p.Path == "slug" && !IsNew && p.Message.Contains("reserved", StringComparison.Ordinal)))];
        }
    }

    private async Task ChangedAsync()
    {
        Validate();
        await KeepDraftAsync();
        StateHasChanged();
    }

    /// <summary>The drafts module; a change typed before the first render finished imports it too.</summary>
    private async Task<IJSObjectReference> DraftsAsync() =>
        _drafts ??= await Js.InvokeAsync<IJSObjectReference>("import", "./js/drafts.js");

    private async Task KeepDraftAsync()
    {
        if (_state is null)
        {
            return;
        }

        var draft = new DraftRecord(_baseVersion, DateTimeOffset.UtcNow, _state.Content, IsNew ? _newSlug : null);
        try
        {
            if (await (await DraftsAsync()).InvokeAsync<bool>("save", DraftKey, RunbookJson.Serialize(draft)))
            {
                _draftSaved = draft.SavedAt;
            }
        }
        catch (JSDisconnectedException)
        {
            // Nothing to keep it in any more; what the browser already holds stays.
        }
    }

    private async Task RestoreDraftAsync()
    {
        if (_draftOffer is null)
        {
            return;
        }

        _baseVersion = _draftOffer.BaseVersion;
        _newSlug = _draftOffer.Slug ?? _newSlug;
        Open(_draftOffer.Content);
        _draftOffer = null;
        await KeepDraftAsync();
    }

    private async Task DiscardDraftAsync()
    {
        _draftOffer = null;
        await RemoveDraftAsync();
    }

    private async Task RemoveDraftAsync()
    {
        _draftSaved = null;
        if (_drafts is not null)
        {
            try
            {
                await _drafts.InvokeVoidAsync("remove", DraftKey);
            }
            catch (JSDisconnectedException)
            {
                // Gone with the circuit.
            }
        }
    }

    private async Task SaveAsync()
    {
        if (_state is null)
        {
            return;
        }

        _saving = true;
        try
        {
            var outcome = await Authoring.SaveAsync(EditedSlug, _state.Content, _baseVersion, _note, await ActorAsync());
            switch (outcome)
            {
                case AuthoringOutcome.Saved saved:
                    await RemoveDraftAsync();
                    Snackbar.Add(L["Editor.Saved", saved.Version], Severity.Success);
                    Navigation.NavigateTo($"/runbooks/{saved.Slug}/history");
                    break;
                case AuthoringOutcome.Invalid invalid:
                    _state.Problems = invalid.Problems;
                    break;
                case AuthoringOutcome.Conflict conflict:
                    _conflict = conflict.Details;
                    break;
                case AuthoringOutcome.NotFound notFound:
                    Snackbar.Add(notFound.Message, Severity.Error);
                    break;
            }
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
        {
            Snackbar.Add(L["Editor.SaveFailed", ex.Message], Severity.Error);
        }
        finally
        {
            _saving = false;
        }
    }

    /// <summary>Drop my edit: open the latest version.</summary>
    private async Task TakeTheirsAsync()
    {
        if (_conflict is null)
        {
            return;
        }

        _baseVersion = _conflict.Current.Version;
        Open(Copy(_conflict.Current.Content));
        _conflict = null;
        await RemoveDraftAsync();
    }

    /// <summary>Keep my content and base the next save on the latest version: overwriting is now a choice, not an accident.</summary>
    private void KeepMine()
    {
        if (_conflict is null)
        {
            return;
        }

        _baseVersion = _conflict.Current.Version;
        _conflict = null;
    }

    private async Task ToggleArchiveAsync()
    {
        if (await Authoring.SetArchivedAsync(Slug!, !_archived, await ActorAsync()))
        {
            _archived = !_archived;
            Snackbar.Add(_archived ? L["Editor.Archived"] : L["Editor.Unarchived"], Severity.Info);
        }
    }

    private async Task CreateCategoryAsync()
    {
        var key = (_newCategoryKey ?? "").Trim();
        var problems = await Authoring.UpsertCategoryAsync(
            new Category(key, _categories.Count == 0 ? 0 : _categories.Max(c => c.Position) + 1, _newCategoryTitle), await ActorAsync());
        if (problems.Count > 0)
        {
            _newCategoryError = string.Join("; ", problems.Select(p => p.Message));
            return;
        }

        _categories = await Store.ListCategoriesAsync();
        _state!.Content.Category = key;
        (_newCategoryOpen, _newCategoryKey, _newCategoryTitle, _newCategoryError) = (false, null, new LocalizedText(), null);
        await ChangedAsync();
    }

    private async Task AddStepAsync(StepKind kind)
    {
        var steps = _state!.Content.Steps;
        var id = UniqueId("step", steps.Select(s => s.Id));
        steps.Add(new RunbookStep
        {
            Id = id,
            Kind = kind,
            Title = new LocalizedText(),
            Probe = kind == StepKind.Probe ? new ProbeCall() : null,
            Input = kind == StepKind.Input ? new StepInput() : null,
        });
        await ChangedAsync();
    }

    private async Task MoveStepAsync(int index, int by)
    {
        var steps = _state!.Content.Steps;
        var to = index + by;
        if (to < 0 || to >= steps.Count)
        {
            return;
        }

        (steps[index], steps[to]) = (steps[to], steps[index]);
        await ChangedAsync();
    }

    private async Task DeleteStepAsync(int index)
    {
        _state!.Content.Steps.RemoveAt(index);
        await ChangedAsync();
    }

    private async Task AddSolutionAsync()
    {
        var solutions = _state!.Content.Solutions;
        solutions.Add(new RunbookSolution { Id = UniqueId("solution", solutions.Select(s => s.Id)) });
        await ChangedAsync();
    }

    private async Task<Actor> ActorAsync() =>
        new((await Auth.GetAuthenticationStateAsync()).User.Identity?.Name ?? "", "ui");

    private static string UniqueId(string stem, IEnumerable<string> taken)
    {
        var used = taken.ToHashSet(StringComparer.Ordinal);
        var n = used.Count + 1;
        while (used.Contains($"{stem}-{n}"))
        {
            n++;
        }

        return $"{stem}-{n}";
    }

    private static RunbookContent NewRunbook(string category) => new()
    {
        Category = category,
        Title = new LocalizedText(),
        Steps = [new RunbookStep { Id = "step-1", Kind = StepKind.Manual, Title = new LocalizedText() }],
        Solutions = [new RunbookSolution { Id = "solution-1" }],
    };

    private static RunbookContent Copy(RunbookContent content) => RunbookJson.Deserialize<RunbookContent>(RunbookJson.Serialize(content));

    private static DraftRecord? ReadDraft(string json)
    {
        try
        {
            return RunbookJson.Deserialize<DraftRecord>(json);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_drafts is not null)
        {
            try
            {
                await _drafts.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
                // The browser is gone; so is the module.
            }
        }
    }

    /// <summary>What localStorage keeps: the content, and the version it was based on (a stale draft saves as a conflict).</summary>
    public sealed record DraftRecord(int BaseVersion, DateTimeOffset SavedAt, RunbookContent Content, string? Slug);
}
