using System.Text;
using Portal.Probes.Probes.Host;

namespace Portal.Probes.Ssh;

/// <summary>
/// <see cref="IHostCommands"/> on a remote machine: the same fixed program list as locally, looked up
/// there by full path; arguments travel quoted (<see cref="ShellQuote"/>) inside a fixed template.
/// </summary>
internal sealed class SshHostCommands(SshConnection connection) : IHostCommands
{
    public string? Find(string program) => connection.Programs().GetValueOrDefault(program);

    public async Task<CommandResult> RunAsync(string program, IReadOnlyList<string> arguments, TimeSpan limit, CancellationToken ct)
    {
        var path = Find(program) ?? throw new FileNotFoundException($"{program} is not installed on {connection.Endpoint}.");
        var result = await connection.RunAsync(RemoteCommands.Program(path, arguments), limit, ct);
        var stdout = result.Text;
        return new CommandResult(result.ExitCode, stdout.Length <= 1_000_000 ? stdout : stdout[..1_000_000], result.Stderr, result.TimedOut);
    }

    public IRunningCommand Start(string program, IReadOnlyList<string> arguments)
    {
        var path = Find(program) ?? throw new FileNotFoundException($"{program} is not installed on {connection.Endpoint}.");
        using var limit = new CancellationTokenSource(connection.Options.CommandTimeout);
        return connection.StartAsync(RemoteCommands.Streaming(path, arguments), printsPid: true, limit.Token).GetAwaiter().GetResult();
    }
}
