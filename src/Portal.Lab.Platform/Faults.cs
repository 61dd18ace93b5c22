using System.Collections.Concurrent;

namespace Portal.Lab.Platform;

/// <summary>The faults this process injects into itself (the others are done to its servers by scripts/lab.sh).</summary>
public sealed class Faults
{
    public static readonly IReadOnlyList<string> InProcess =
        ["pg-pool", "component-unhealthy", "workflow-failed", "api-slow", "tls-expired", "dns-failure", "memory-pressure", "cpu-burn"];

    private readonly ConcurrentDictionary<string, bool> _on = new(StringComparer.Ordinal);

    public bool IsOn(string name) => _on.ContainsKey(name);

    public IEnumerable<string> Active => _on.Keys.Order(StringComparer.Ordinal);

    public bool Set(string name, bool on) => on ? _on.TryAdd(name, true) : _on.TryRemove(name, out _);
}
