using Portal.Probes;
using Portal.Probes.Contract;
using Portal.Probes.Network;
using Portal.Probes.Probes.Host;
using Portal.Probes.Ssh;
using Portal.Testing;

namespace Portal.IntegrationTests;

/// <summary>
/// The hostile input corpus (<see cref="HostileCases"/>) sent through SSH to a real sshd: as probe
/// parameters (validated, then run over SSH) and straight into the remote file and command seams
/// (skipping validation, so only the quoting stands between them and the remote shell). A canary
/// file that any injected command would create must never appear.
/// </summary>
public sealed class SshHostileInputTests : IAsyncLifetime
{
    private readonly string _canary = Path.Combine(Path.GetTempPath(), "portal-ssh-canary-" + Guid.NewGuid().ToString("N"));
    private SshServer _server = null!;
    private SshConnections _pool = null!;

    public async Task InitializeAsync()
    {
        _server = await SshServer.StartAsync();
        _pool = new SshConnections();
    }

    public async Task DisposeAsync()
    {
        _pool.Dispose();
        await _server.DisposeAsync();
        File.Delete(_canary);
    }

    private IEnumerable<string> Values() =>
        HostileCases.Shell.Concat(HostileCases.Options).Concat(HostileCases.Traversal).Concat(HostileCases.Weird).Append(HostileCases.LongValue)
            .Append("'$(touch {canary})'").Append("\\'; touch {canary}; echo \\'").Append("a'\\''; touch {canary}; '")
            .Select(v => v.Replace("{canary}", _canary, StringComparison.Ordinal));

    [Fact]
    public async Task Canary_IsCreatedByAnUnquotedCommand_SoTheTestCanFail()
    {
        using var lease = await _pool.AcquireAsync(_server.Settings(), CancellationToken.None);

        await lease.Connection.RunAsync("touch " + _canary, null, CancellationToken.None);

        Assert.True(File.Exists(_canary));
        File.Delete(_canary);
    }

    [Fact]
    public async Task HostileValues_StraightIntoTheRemoteSeams_RunNothing()
    {
        using var lease = await _pool.AcquireAsync(_server.Settings(), CancellationToken.None);
        var fs = new SshHostFileSystem(lease.Connection);
        var commands = new SshHostCommands(lease.Connection);
        var count = 0;
        foreach (var raw in Values())
        {
            foreach (var value in new[] { raw, "/" + raw, "/tmp/" + raw })
            {
                count++;
                _ = fs.ReadText(value);
                _ = fs.List(value);
                _ = fs.ReadLink(value);
                _ = fs.FileExists(value);
                _ = fs.DirectoryExists(value);
                _ = fs.RealPath(value);
                _ = fs.Length(value);
                _ = fs.ReadMany([value, "/proc/self/stat"]);
                _ = fs.ReadLinks([value]);
                try
                {
                    await using var stream = fs.OpenRead(value);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                }

                try
                {
                    _ = await commands.RunAsync("stat", ["--printf=%n\n", "--", value], TimeSpan.FromSeconds(10), CancellationToken.None);
                    _ = await commands.RunAsync("stat", [value], TimeSpan.FromSeconds(10), CancellationToken.None);
                    await using var running = commands.Start("stat", ["-c", value, "/"]);
                    while (await running.ReadLineAsync(CancellationToken.None) is not null)
                    {
                    }
                }
                catch (ArgumentException) when (value.Contains('\0', StringComparison.Ordinal))
                {
                    // NUL cannot travel in a command line: refused before anything is sent.
                }

                Assert.False(File.Exists(_canary), $"a remote shell ran something from: {Clip(value)}");
            }
        }

        Assert.True(count > 100);
    }

    [Fact]
    public async Task HostileValues_AsParametersOfEveryHostProbe_OverSsh_RunNothing()
    {
        var log = Path.Combine(Path.GetTempPath(), "portal-ssh-hostile-" + Guid.NewGuid().ToString("N") + ".log");
        await File.WriteAllTextAsync(log, "register ok\n");
        try
        {
            var provider = new HostAccessProvider(_pool);
            IProbe[] probes =
            [
                new PortOwnerProbe(provider), new SystemdUnitProbe(provider), new JournalTailProbe(provider), new LogSearchProbe(provider),
                new HostMemoryProbe(provider), new HostCpuProbe(provider), new ProcessInspectProbe(provider), new FilePermissionsProbe(provider),
                new ConfigCheckProbe(provider), new NetTraceProbe(provider),
            ];
            var target = new ProbeTarget
            {
                Environment = "test", Name = "remote", Role = "platform-api", Kind = TargetKind.Host, Host = "127.0.0.1", AllowLoopback = true,
                LogPaths = [log], Units = ["platform-api"], Ssh = _server.Settings(),
            };
            var ran = 0;
            foreach (var probe in probes)
            {
                foreach (var parameter in probe.Descriptor.Parameters.Where(p => p.Type == ParameterType.String))
                {
                    foreach (var value in Values())
                    {
                        var raw = new Dictionary<string, string?> { [parameter.Name] = value };
                        foreach (var required in probe.Descriptor.Parameters.Where(p => p.Required && p.Name != parameter.Name))
                        {
                            raw[required.Name] = required.Name switch { "port" => "1", "unit" => "platform-api", "path" => log, _ => "x" };
                        }

                        raw.TryAdd("follow_seconds", null);
                        var validation = ParameterValidator.Validate(probe.Descriptor, raw);
                        if (!validation.IsValid)
                        {
                            continue; // refused with a message: nothing runs
                        }

                        var values = new Dictionary<string, string>(validation.Values) { ["follow_seconds"] = "0" };
                        if (probe.Descriptor.Parameters.All(p => p.Name != "follow_seconds"))
                        {
                            values.Remove("follow_seconds");
                        }

                        if (values.ContainsKey("interval"))
                        {
                            values["interval"] = "1";
                        }

                        ran++;
                        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                        var request = new ProbeRequest { Target = target, Parameters = values, Network = new NetworkGuard() };
                        await foreach (var _ in probe.RunAsync(request, cts.Token))
                        {
                        }

                        Assert.False(File.Exists(_canary), $"{probe.Descriptor.Kind}.{parameter.Name} ran something from: {Clip(value)}");
                    }
                }
            }

            Assert.True(ran > 0, "no hostile value reached a probe; the test would prove nothing");
        }
        finally
        {
            File.Delete(log);
        }
    }

    private static string Clip(string value) => value.Length <= 80 ? value : value[..80] + "…";
}
