using Portal.Probes.Probes.Host;

namespace Portal.Probes.Tests.Host;

/// <summary>The real file system, except that it claims systemd is PID 1 (this container has no systemd).</summary>
internal sealed class SystemdPresentFiles : IHostFileSystem
{
    private readonly LocalHostFileSystem _real = new();

    public string? ReadText(string path) => _real.ReadText(path);

    public IReadOnlyList<string> List(string directory) => _real.List(directory);

    public string? ReadLink(string path) => _real.ReadLink(path);

    public bool FileExists(string path) => _real.FileExists(path);

    public bool DirectoryExists(string path) => path == "/run/systemd/system" || _real.DirectoryExists(path);

    public string? RealPath(string path) => _real.RealPath(path);

    public long? Length(string path) => _real.Length(path);

    public Stream OpenRead(string path) => _real.OpenRead(path);
}
