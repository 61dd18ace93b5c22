using System.Globalization;
using Portal.Probes.Network;

namespace Portal.Probes.Contract;

/// <summary>A validated request to run one probe against one target.</summary>
public sealed class ProbeRequest
{
    public required ProbeTarget Target { get; init; }

    /// <summary>Parameter values after validation, defaults applied. Secret ones are in <see cref="Secrets"/>.</summary>
    public required IReadOnlyDictionary<string, string> Parameters { get; init; }

    /// <summary>Checks every address a probe is about to reach against the target's rules.</summary>
    public required NetworkGuard Network { get; init; }

    /// <summary>The run's time limit; the runner also cancels the token when it passes.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(15);

    public string Get(string name) =>
        Parameters.TryGetValue(name, out var value) ? value : throw new KeyNotFoundException($"Parameter '{name}' was not supplied.");

    public string? GetOptional(string name) => Parameters.GetValueOrDefault(name);

    public int GetInt(string name) => int.Parse(Get(name), NumberStyles.Integer, CultureInfo.InvariantCulture);

    public bool GetBool(string name) => bool.Parse(Get(name));
}
