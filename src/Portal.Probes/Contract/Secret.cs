namespace Portal.Probes.Contract;

/// <summary>
/// A secret value that does not leak by accident: ToString, logging and serialisation show "***".
/// Call <see cref="Reveal"/> only where the value is handed to the server that needs it.
/// </summary>
public sealed class Secret(string value)
{
    public const string Mask = "***";

    public string Reveal() => value;

    public override string ToString() => Mask;
}
