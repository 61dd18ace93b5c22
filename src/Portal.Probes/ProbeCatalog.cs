using Portal.Probes.Contract;

namespace Portal.Probes;

/// <summary>Every probe, by kind.</summary>
public sealed class ProbeCatalog
{
    private readonly Dictionary<string, IProbe> _byKind;

    public ProbeCatalog(IEnumerable<IProbe> probes)
    {
        _byKind = probes.ToDictionary(p => p.Descriptor.Kind, StringComparer.Ordinal);
    }

    public IReadOnlyCollection<ProbeDescriptor> Descriptors => [.. _byKind.Values.Select(p => p.Descriptor).OrderBy(d => d.Kind, StringComparer.Ordinal)];

    public IProbe? Find(string kind) => _byKind.GetValueOrDefault(kind);
}
