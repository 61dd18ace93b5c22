using MudBlazor;
using Portal.Probes.Contract;
using Portal.Web.Components.Live;

namespace Portal.Web.Tests.Live;

public sealed class ProbeParameterFormTests : PortalTestContext
{
    private static readonly ProbeDescriptor Probe = new(
        Kind: "test.form",
        Title: "Form",
        TitleZh: "表单",
        Description: "Every parameter type.",
        TargetKinds: [TargetKind.Host],
        Parameters:
        [
            new ProbeParameter("port", ParameterType.Integer, "TCP port.", Required: true, Min: 1, Max: 65535),
            new ProbeParameter("pattern", ParameterType.String, "What to look for.", Default: "error"),
            new ProbeParameter("token", ParameterType.String, "API token.", Secret: true, Default: "hidden-default"),
            new ProbeParameter("follow", ParameterType.Boolean, "Keep reading.", Default: "true"),
            new ProbeParameter("mode", ParameterType.Choice, "How to read.", Default: "tail", Choices: ["head", "tail"]),
        ],
        DefaultTimeout: TimeSpan.FromSeconds(10),
        MaxTimeout: TimeSpan.FromSeconds(60));

    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);

    private IRenderedComponent<ProbeParameterForm> RenderForm(IReadOnlyDictionary<string, string>? errors = null) =>
        Render<ProbeParameterForm>(p =>
        {
            p.Add(f => f.Probe, Probe).Add(f => f.Values, _values);
            if (errors is not null)
            {
                p.Add(f => f.Errors, errors);
            }
        });

    /// <summary>The whole MudTextField (label, input, helper or error text) around a parameter's input.</summary>
    private static AngleSharp.Dom.IElement Field(IRenderedComponent<ProbeParameterForm> cut, string name) =>
        cut.Find($"input[data-testid=param-{name}]").Closest(".mud-input-control")!;

    [Fact]
    public void Render_EachParameterType_GetsItsOwnControl()
    {
        UseCulture("en");

        var cut = RenderForm();

        Assert.Equal("number", cut.Find("input[data-testid=param-port]").GetAttribute("type"));
        Assert.Equal("text", cut.Find("input[data-testid=param-pattern]").GetAttribute("type"));
        Assert.Equal("password", cut.Find("input[data-testid=param-token]").GetAttribute("type"));
        Assert.Equal("follow", Assert.Single(cut.FindComponents<MudSwitch<bool>>()).Instance.Label);
        var select = Assert.Single(cut.FindComponents<MudSelect<string>>());
        Assert.Equal("mode", select.Instance.Label);
        Assert.Equal(3, cut.FindComponents<MudTextField<string>>().Count);
    }

    [Fact]
    public void Render_LabelsHelpAndDefaults_SayWhatIsRequiredAndWhatTheDefaultIs()
    {
        UseCulture("en");

        var cut = RenderForm();

        Assert.Contains("port *", Field(cut, "port").TextContent, StringComparison.Ordinal);
        Assert.Contains("What to look for. (default: error)", cut.Markup, StringComparison.Ordinal);
        Assert.Equal("error", cut.Find("input[data-testid=param-pattern]").GetAttribute("placeholder"));
        // A secret's default is never shown, neither as placeholder nor in the help.
        Assert.Null(cut.Find("input[data-testid=param-token]").GetAttribute("placeholder"));
        Assert.DoesNotContain("hidden-default", cut.Markup, StringComparison.Ordinal);
        Assert.True(cut.Find(".mud-switch input[type=checkbox]").HasAttribute("checked"));
        Assert.Equal("tail", cut.Find(".mud-select input").GetAttribute("value"));
    }

    [Fact]
    public void Input_TypingAndSwitching_WritesIntoTheValuesItWasGiven()
    {
        UseCulture("en");
        var cut = RenderForm();

        cut.Find("input[data-testid=param-port]").Input("6379");
        cut.Find("input[data-testid=param-token]").Input("s3cret");
        cut.Find(".mud-switch input[type=checkbox]").Change(false);

        Assert.Equal("6379", _values["port"]);
        Assert.Equal("s3cret", _values["token"]);
        Assert.Equal("false", _values["follow"]);
    }

    [Fact]
    public void Render_ErrorsFromTheRunner_ShowUnderTheirFields()
    {
        UseCulture("en");

        var cut = RenderForm(new Dictionary<string, string>
        {
            ["port"] = "port must be an integer.",
            ["mode"] = "mode must be one of: head, tail.",
        });

        var port = Field(cut, "port");
        Assert.Contains("mud-input-error", port.InnerHtml, StringComparison.Ordinal);
        Assert.Contains("port must be an integer.", port.TextContent, StringComparison.Ordinal);
        Assert.Contains("mode must be one of: head, tail.", cut.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain("mud-input-error", Field(cut, "pattern").InnerHtml, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_InChinese_SectionHeadingIsTranslated()
    {
        UseCulture("zh-CN");

        var cut = RenderForm();

        Assert.Equal("参数", cut.Find(".mud-typography-subtitle2").TextContent.Trim());
        Assert.Contains("默认：error", cut.Markup, StringComparison.Ordinal);
    }
}
