using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using Microsoft.JSInterop;
using MudBlazor;
using Portal.Web.Localization;
using Portal.Web.Runs;

namespace Portal.Web.Components.Live;

/// <summary>
/// A run's live output: status, verdict, findings, metrics and the output lines as they arrive.
/// One background reader per component pulls batches (at most one every 100 ms) and renders once
/// per batch; output scrolls along unless the reader scrolled up. Disposing stops the reader.
/// </summary>
public sealed partial class RunViewer : IAsyncDisposable
{
    private static readonly TimeSpan BatchInterval = TimeSpan.FromMilliseconds(100);

    private CancellationTokenSource _stop = new();
    private RunView _view = new();
    private Task? _reader;
    private Guid _watching;
    private ElementReference _output;
    private IJSObjectReference? _js;
    private bool _connected;
    private bool _stopping;
    private bool _scrollPending;
    private string? _error;

    [Inject] public required IRunEventSource Events { get; init; }

    [Inject] public required IRunControl Runner { get; init; }

    [Inject] public required IJSRuntime Js { get; init; }

    [Inject] public required ISnackbar Snackbar { get; init; }

    [Inject] public required IStringLocalizer<SharedResource> L { get; init; }

    [Parameter, EditorRequired] public Guid RunId { get; set; }

    [Parameter] public string? Title { get; set; }

    /// <summary>Shows the stop button while the run runs (in a walkthrough: only for the driver).</summary>
    [Parameter] public bool CanStop { get; set; } = true;

    /// <summary>Called once when the run has ended, with how it ended.</summary>
    [Parameter] public EventCallback<RunView> OnFinished { get; set; }

    protected override void OnParametersSet()
    {
        if (_watching == RunId)
        {
            return;
        }

        // A new run: the previous reader stops, and its late events can only reach its own view.
        _stop.Cancel();
        _stop.Dispose();
        _stop = new CancellationTokenSource();
        _watching = RunId;
        _view = new RunView();
        _reader = ReadAsync(RunId, _view, _stop.Token);
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            _js = await Js.InvokeAsync<IJSObjectReference>("import", "./js/output.js");
            await _js.InvokeVoidAsync("follow", _output);
        }

        if (_scrollPending && _js is not null)
        {
            _scrollPending = false;
            await _js.InvokeVoidAsync("scrollIfFollowing", _output);
        }
    }

    private async Task ReadAsync(Guid runId, RunView view, CancellationToken ct)
    {
        await Task.Yield(); // let the first render happen before the first batch
        try
        {
            await foreach (var batch in Events.ReadAsync(runId, view.LastSeq, BatchInterval, ct))
            {
                var wasFinished = view.IsFinished;
                await InvokeAsync(() =>
                {
                    if (ct.IsCancellationRequested)
                    {
                        return;
                    }

                    _connected = true;
                    view.Apply(batch);
                    _scrollPending = true;
                    StateHasChanged();
                });
                if (!wasFinished && view.IsFinished && !ct.IsCancellationRequested)
                {
                    await InvokeAsync(() => OnFinished.InvokeAsync(view));
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The component went away.
        }
        catch (Exception ex)
        {
            await InvokeAsync(() =>
            {
                _error = ex is KeyNotFoundException ? L["Run.NotFound", runId] : ex.Message;
                StateHasChanged();
            });
        }
    }

    /// <summary>When the target's breaker opened, as the runner recorded it (circuit.open_since, ISO 8601).</summary>
    private string CircuitSince() =>
        DateTimeOffset.TryParse(_view.Findings.GetValueOrDefault("circuit.open_since"), CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
            ? at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)
            : "";

    private void StopAsync()
    {
        _stopping = Runner.Cancel(RunId);
        if (!_stopping)
        {
            Snackbar.Add(L["Run.NotRunningHere"], Severity.Warning);
        }
    }

    private async Task CopyAsync()
    {
        if (_js is null)
        {
            return;
        }

        await _js.InvokeVoidAsync("copy", string.Join('\n', _view.Lines.Select(l => l.Text)));
        Snackbar.Add(L["Run.Copied"], Severity.Success);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_reader is not null)
        {
            await _reader;
        }

        _stop.Dispose();
        if (_js is not null)
        {
            try
            {
                await _js.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
                // The browser is gone; so is the module.
            }
        }
    }
}
