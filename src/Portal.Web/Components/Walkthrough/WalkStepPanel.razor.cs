using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.Localization;
using Portal.Runbooks.Engine;
using Portal.Runbooks.Model;
using Portal.Web.Localization;

namespace Portal.Web.Components.Walkthrough;

/// <summary>A checklist item ticked (or unticked) by the engineer.</summary>
public readonly record struct ChecklistTick(int Index, bool Done);

/// <summary>
/// The step the walkthrough is at. Shows plain data and raises events; the page acts on them
/// (so the component renders the same for a responder and, read-only, for a viewer).
/// </summary>
public sealed partial class WalkStepPanel
{
    private string? _value;
    private string? _inputStep;
    private string? _checkError;

    [Inject] public required IStringLocalizer<SharedResource> L { get; init; }

    [Parameter, EditorRequired] public required RunbookStep Step { get; set; }

    [Parameter, EditorRequired] public int Number { get; set; }

    [Parameter, EditorRequired] public required string Language { get; set; }

    /// <summary>Whether each checklist item is ticked.</summary>
    [Parameter] public IReadOnlyList<bool> Ticks { get; set; } = [];

    /// <summary>The value already given to this input step.</summary>
    [Parameter] public string? InputValue { get; set; }

    /// <summary>Why the portal refused the last value (shown under the field).</summary>
    [Parameter] public string? RefusedInput { get; set; }

    /// <summary>The target the environment binds to the probe's role; null when none does.</summary>
    [Parameter] public string? BoundTarget { get; set; }

    /// <summary>Inputs the probe needs that have no value yet.</summary>
    [Parameter] public IReadOnlyList<string> MissingInputs { get; set; } = [];

    /// <summary>The newest run of this step, running or finished.</summary>
    [Parameter] public StepRun? Run { get; set; }

    /// <summary>False for viewers and closed incidents: everything shows, nothing acts.</summary>
    [Parameter] public bool CanAct { get; set; }

    /// <summary>An action is on its way; buttons wait.</summary>
    [Parameter] public bool Busy { get; set; }

    [Parameter] public EventCallback<ChecklistTick> OnTick { get; set; }

    [Parameter] public EventCallback<string> OnSubmitInput { get; set; }

    [Parameter] public EventCallback OnRun { get; set; }

    [Parameter] public EventCallback<string> OnChoose { get; set; }

    private bool IsRunning => Run?.Status == "running";

    private string? InputError => _checkError ?? RefusedInput;

    protected override void OnParametersSet()
    {
        if (_inputStep != Step.Id)
        {
            _inputStep = Step.Id;
            _value = InputValue;
            _checkError = null;
        }
    }

    private async Task SubmitAsync()
    {
        if (Step.Input is not { } input)
        {
            return;
        }

        var check = WalkthroughEngine.CheckInput(input, _value);
        _checkError = check.Problem switch
        {
            InputProblem.None => null,
            InputProblem.Required => L["Incident.InputRequired"].Value,
            InputProblem.NoMatch => L["Incident.InputNoMatch", input.Pattern ?? ""].Value,
            _ => L["Incident.InputUnchecked", check.Message].Value,
        };
        if (_checkError is null)
        {
            await OnSubmitInput.InvokeAsync(check.Value);
        }
    }

    private async Task OnInputKeyAsync(KeyboardEventArgs e)
    {
        if (e.Key == "Enter")
        {
            await SubmitAsync();
        }
    }
}
