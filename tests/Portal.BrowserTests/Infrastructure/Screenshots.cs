namespace Portal.BrowserTests.Infrastructure;

/// <summary>
/// Where screenshots go: every checked state to .local/test/screenshots/ (git-ignored, looked at
/// by people after a run), the README's pictures to docs/screenshots/.
/// </summary>
public static class Screenshots
{
    private static readonly Lazy<string> Root = new(FindRepositoryRoot);

    public static string RepositoryRoot => Root.Value;

    public static string TestPath(string name) => Path.Combine(RepositoryRoot, ".local", "test", "screenshots", $"{name}.png");

    public static string DocsPath(string name) => Path.Combine(RepositoryRoot, "docs", "screenshots", $"{name}.png");

    /// <summary>The folder holding Portal.sln, found by walking up from the test binaries.</summary>
    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Portal.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Portal.sln above {AppContext.BaseDirectory}; cannot place screenshots.");
    }
}
