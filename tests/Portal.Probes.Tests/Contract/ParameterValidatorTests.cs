using Portal.Probes.Contract;

namespace Portal.Probes.Tests.Contract;

public sealed class ParameterValidatorTests
{
    private static readonly ProbeDescriptor Probe = new(
        "test.probe", "Test", "测试", "For tests.", [TargetKind.Host],
        [
            new ProbeParameter("port", ParameterType.Integer, "Port", Required: true, Min: 1, Max: 65535),
            new ProbeParameter("unit", ParameterType.String, "Unit", Default: "platform-api", Pattern: "[A-Za-z0-9@._-]{1,64}"),
            new ProbeParameter("follow", ParameterType.Boolean, "Follow", Default: "false"),
            new ProbeParameter("mode", ParameterType.Choice, "Mode", Default: "tcp", Choices: ["tcp", "udp"]),
        ],
        TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10));

    private static ParameterValidation Validate(params (string Name, string? Value)[] values) =>
        ParameterValidator.Validate(Probe, values.ToDictionary(v => v.Name, v => v.Value));

    [Fact]
    public void Validate_GoodValues_AppliesDefaults()
    {
        var result = Validate(("port", "8000"));

        Assert.True(result.IsValid);
        Assert.Equal("8000", result.Values["port"]);
        Assert.Equal("platform-api", result.Values["unit"]);
        Assert.Equal("false", result.Values["follow"]);
        Assert.Equal("tcp", result.Values["mode"]);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65536")]
    [InlineData("-1")]
    [InlineData("80; rm -rf /")]
    [InlineData("0x50")]
    [InlineData("1e3")]
    public void Validate_BadPort_IsRefusedWithAMessage(string port)
    {
        var result = Validate(("port", port));

        Assert.False(result.IsValid);
        Assert.Contains("port", result.Errors["port"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("platform-api; reboot")]
    [InlineData("$(id)")]
    [InlineData("`id`")]
    [InlineData("--output=/etc/passwd")]
    [InlineData("../../etc/shadow")]
    [InlineData("a|b")]
    [InlineData("unit\r\nX-Injected: 1")]
    [InlineData("unit\0")]
    public void Validate_ShellAndInjectionCharacters_AreRefused(string unit)
    {
        var result = Validate(("port", "80"), ("unit", unit));

        Assert.False(result.IsValid);
        Assert.True(result.Errors.ContainsKey("unit"));
    }

    [Fact]
    public void Validate_HugeValue_IsRefusedByLength()
    {
        var result = Validate(("port", "80"), ("unit", new string('a', 10_000)));

        Assert.Contains("10000 characters", result.Errors["unit"], StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MissingRequiredAndUnknownParameters_AreBothReported()
    {
        var result = Validate(("colour", "red"));

        Assert.Equal("port is required.", result.Errors["port"]);
        Assert.Contains("no parameter 'colour'", result.Errors["colour"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("follow", "yes")]
    [InlineData("mode", "icmp")]
    public void Validate_BooleanAndChoice_OnlyTakeTheirValues(string name, string value) =>
        Assert.True(Validate(("port", "80"), (name, value)).Errors.ContainsKey(name));
}
