namespace Portal.Probes.Contract;

/// <summary>What a probe is, for the catalog, the API and the generated parameter form.</summary>
/// <param name="Kind">Stable id used in runbooks and the API, e.g. "redis.memory".</param>
/// <param name="Title">English title.</param>
/// <param name="TitleZh">Chinese title.</param>
/// <param name="Description">One sentence, English: what it reports.</param>
/// <param name="TargetKinds">Kinds of target it runs against.</param>
/// <param name="Parameters">Its parameter schema.</param>
/// <param name="DefaultTimeout">Time limit when the request names none.</param>
/// <param name="MaxTimeout">The longest a request may ask for.</param>
/// <param name="Follows">True when it keeps streaming until stopped (journal follow, log follow).</param>
public sealed record ProbeDescriptor(
    string Kind,
    string Title,
    string TitleZh,
    string Description,
    IReadOnlyList<TargetKind> TargetKinds,
    IReadOnlyList<ProbeParameter> Parameters,
    TimeSpan DefaultTimeout,
    TimeSpan MaxTimeout,
    bool Follows = false);

#pragma warning disable CA1720 // the names are the schema's type names, as JSON Schema spells them
public enum ParameterType
{
    String,
    Integer,
    Boolean,

    /// <summary>One of <see cref="ProbeParameter.Choices"/>.</summary>
    Choice,
}
#pragma warning restore CA1720

/// <summary>One parameter of a probe, with everything needed to validate it and build a form.</summary>
/// <param name="Pattern">Regular expression the whole value must match (strings).</param>
/// <param name="Secret">Never shown, logged or stored in clear text.</param>
public sealed record ProbeParameter(
    string Name,
    ParameterType Type,
    string Description,
    bool Required = false,
    string? Default = null,
    string? Pattern = null,
    long? Min = null,
    long? Max = null,
    IReadOnlyList<string>? Choices = null,
    bool Secret = false,
    int MaxLength = 256);
