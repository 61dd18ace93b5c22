using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using Portal.Testing.Servers;

namespace Portal.Testing;

/// <summary>
/// The portal as a separate operating-system process (dotnet Portal.Web.dll), for what an in-process host
/// cannot do: be killed outright. Listens on loopback; configured through environment variables.
/// </summary>
public sealed class PortalProcess : IAsyncDisposable
{
    private readonly StringBuilder _output = new();
    private Process? _process;

    public PortalProcess(string connectionString, string dataPath, string adminPassword)
    {
        Environment["ConnectionStrings__Portal"] = connectionString;
        Environment["ConnectionStrings__Redis"] = "";
        Environment["Portal__DataPath"] = dataPath;
        Environment["Portal__DataProtectionKeysPath"] = Path.Combine(dataPath, "keys");
        Environment["PORTAL_ADMIN_PASSWORD"] = adminPassword;
        Environment["Portal__RateLimits__SignInsPerMinute"] = "100000";
        Environment["Portal__RateLimits__ProbeRunsPerMinute"] = "100000";
        Environment["Serilog__MinimumLevel__Default"] = "Warning";
        Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
    }

    /// <summary>Environment variables of the process (settings with ":" written as "__").</summary>
    public Dictionary<string, string> Environment { get; } = [];

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>What the process printed, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts the process on a free port and waits until /health/ready answers 200.</summary>
    public async Task StartAsync(TimeSpan timeout)
    {
        var port = PrivateProcess.FreePort();
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
        var web = typeof(Program).Assembly.Location;
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(web)!,
        };
        start.ArgumentList.Add(web);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(BaseAddress.ToString());
        foreach (var (key, value) in Environment)
        {
            start.Environment[key] = value;
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The portal exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
                if (ready.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"The portal did not become ready within {timeout.TotalSeconds:0} s:\n{Output}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Kills the process at once (SIGKILL): no shutdown code runs, as in a crash or an OOM kill.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    /// <summary>A client with a bearer token of <paramref name="username"/>.</summary>
    public async Task<HttpClient> SignInAsync(string username, string password)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        using var response = await client.PostAsJsonAsync("/api/auth/token", new { username, password });
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("token").GetString();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
