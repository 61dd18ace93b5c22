using System.Security.Cryptography;
using System.Text;
using Portal.Lab.Platform;

// The fault lab's imitation of the guide's platform: one program, started as platform-api,
// fine-tuning-service or (for the port-conflict fault) squatter. Loopback only.
var builder = WebApplication.CreateBuilder(args);
var options = builder.Configuration.GetSection("Lab").Get<LabOptions>() ?? new LabOptions();
builder.Services.AddSingleton(options);
builder.Services.AddSingleton<Faults>();
builder.Services.AddSingleton<PlatformLog>();
builder.Services.AddSingleton<PlatformDatabase>();
builder.Services.AddSingleton<PlatformHealth>();
builder.Services.AddSingleton<FaultActions>();
builder.Services.AddSingleton<LabCertificates>();
builder.Services.AddSingleton<CpuSampler>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<CpuSampler>());
builder.Services.AddHttpClient("lab", c => c.Timeout = TimeSpan.FromSeconds(2));
builder.WebHost.ConfigureKestrel((context, kestrel) =>
{
    kestrel.Listen(System.Net.IPAddress.Loopback, options.Port);
    if (options.IsApi && options.TlsPort > 0)
    {
        kestrel.Listen(System.Net.IPAddress.Loopback, options.TlsPort, listen => listen.UseHttps(https =>
        {
            var certificates = kestrel.ApplicationServices.GetRequiredService<LabCertificates>();
            var faults = kestrel.ApplicationServices.GetRequiredService<Faults>();
            https.ServerCertificateSelector = (_, _) => faults.IsOn("tls-expired") ? certificates.Expired : certificates.Valid;
        }));
    }
});

var app = builder.Build();
var log = app.Services.GetRequiredService<PlatformLog>();

if (options.Role == "squatter")
{
    app.Run(async context =>
    {
        context.Response.StatusCode = 404;
        await context.Response.WriteAsync("squatter: this port is taken by another program\n");
    });
    await app.RunAsync();
    return;
}

// api-slow: every platform request waits 2.5 s (the guide's threshold is 2 s); the lab's own controls do not.
app.Use(async (context, next) =>
{
    if (context.RequestServices.GetRequiredService<Faults>().IsOn("api-slow") && !context.Request.Path.StartsWithSegments("/lab"))
    {
        await Task.Delay(2500, context.RequestAborted);
    }

    await next(context);
});

app.MapGet("/health", async (PlatformHealth health, CancellationToken ct) =>
{
    var (code, body) = await health.CheckAsync(ct);
    return Results.Json(body, statusCode: code);
});

if (options.IsApi)
{
    app.MapPost("/platform/components/register", async (RegisterRequest request, PlatformDatabase db, IHttpClientFactory http, CancellationToken ct) =>
    {
        if (string.IsNullOrWhiteSpace(request.Name) || !Uri.TryCreate(request.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            return Results.Problem(title: "name and an http(s) url are required", statusCode: 400);
        }

        try
        {
            using var response = await http.CreateClient("lab").GetAsync(new Uri(url, "/health"), ct);
            if (!response.IsSuccessStatusCode)
            {
                log.Error($"register component {request.Name} at {url} failed: health check returned HTTP {(int)response.StatusCode}");
                return Results.Problem(title: $"health check of {request.Name} returned {(int)response.StatusCode}", statusCode: 502);
            }

            await db.RegisterAsync(request.Name, url.ToString(), ct);
            log.Info($"register component {request.Name} at {url}: ok");
            return Results.Ok(new { name = request.Name, status = "registered" });
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or Npgsql.NpgsqlException)
        {
            log.Error($"register component {request.Name} at {url} failed: {ex.Message}");
            return Results.Problem(title: $"registering {request.Name} failed: {ex.Message}", statusCode: 502);
        }
    });

    app.MapGet("/platform/workflows/{id}/status", async (string id, PlatformDatabase db, CancellationToken ct) =>
        await db.WorkflowAsync(id, ct) is { } workflow
            ? Results.Ok(workflow)
            : Results.Problem(title: $"workflow {id} not found", statusCode: 404));
}

// The lab's own switches (scripts/lab.sh): PUT turns a fault on, DELETE heals it. Token required.
app.MapPut("/lab/faults/{name}", (string name, HttpContext context) => SetFaultAsync(name, true, context));
app.MapDelete("/lab/faults/{name}", (string name, HttpContext context) => SetFaultAsync(name, false, context));
app.MapGet("/lab/faults", (Faults faults) => Results.Ok(faults.Active));

if (options.IsApi)
{
    _ = Task.Run(() => StartApiAsync(app));
}

await app.RunAsync();

async Task<IResult> SetFaultAsync(string name, bool on, HttpContext context)
{
    var token = context.Request.Headers["X-Lab-Token"].ToString();
    if (options.Token.Length == 0 || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(options.Token)))
    {
        return Results.StatusCode(403);
    }

    if (!Faults.InProcess.Contains(name))
    {
        return Results.Problem(title: $"'{name}' is not a fault this process injects", statusCode: 404);
    }

    var services = context.RequestServices;
    var actions = services.GetRequiredService<FaultActions>();
    var changed = services.GetRequiredService<Faults>().Set(name, on);
    switch (name, on)
    {
        case ("pg-pool", true): await actions.ExhaustPoolAsync(context.RequestAborted); break;
        case ("pg-pool", false): await actions.ReleasePoolAsync(); break;
        case ("memory-pressure", true): actions.FillMemory(); break;
        case ("memory-pressure", false): actions.ReleaseMemory(); break;
        case ("cpu-burn", true):
            actions.Burn();
            // Answer once /health shows it, so whoever injected the fault can check at once.
            var cpu = services.GetRequiredService<CpuSampler>();
            for (var i = 0; i < 100 && !cpu.IsBusy; i++)
            {
                await Task.Delay(100, context.RequestAborted);
            }

            if (!cpu.IsBusy)
            {
                return Results.Problem(title: $"cpu-burn is on, but /health does not see it after 10 s ({cpu.Percent:0} % of a core, busiest thread {cpu.BusiestThread * 100:0} %)", statusCode: 503);
            }

            break;
        case ("cpu-burn", false):
            actions.StopBurn();
            var sampler = services.GetRequiredService<CpuSampler>();
            for (var i = 0; i < 50 && sampler.IsBusy; i++)
            {
                await Task.Delay(100, context.RequestAborted); // healed once /health says so
            }

            break;
        case ("workflow-failed", _):
            var db = services.GetRequiredService<PlatformDatabase>();
            await db.SetFailedWorkflowAsync(on, context.RequestAborted);
            if (on)
            {
                log.Error($"workflow_{PlatformDatabase.FailedWorkflowId} step train failed: fine-tuning-service returned 500: CUDA out of memory");
            }
            else
            {
                log.Info($"workflow_{PlatformDatabase.FailedWorkflowId} retried: succeeded");
            }

            break;
    }

    return Results.Ok(new { fault = name, on, changed });
}

// At start the API creates its tables and registers fine-tuning-service, as the platform does; retried while the database comes up.
async Task StartApiAsync(WebApplication web)
{
    var db = web.Services.GetRequiredService<PlatformDatabase>();
    var http = web.Services.GetRequiredService<IHttpClientFactory>();
    for (var attempt = 0; attempt < 60 && !web.Lifetime.ApplicationStopping.IsCancellationRequested; attempt++)
    {
        try
        {
            await db.EnsureSchemaAsync(web.Lifetime.ApplicationStopping);
            using var response = await http.CreateClient("lab").GetAsync(new Uri(new Uri(options.FineTuningUrl), "/health"), web.Lifetime.ApplicationStopping);
            await db.RegisterAsync("fine-tuning-service", options.FineTuningUrl, web.Lifetime.ApplicationStopping);
            log.Info($"register component fine-tuning-service at {options.FineTuningUrl}: ok (HTTP {(int)response.StatusCode})");
            return;
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or HttpRequestException or TaskCanceledException)
        {
            log.Error($"startup: {ex.Message}; retrying");
            await Task.Delay(1000, web.Lifetime.ApplicationStopping);
        }
    }
}

internal sealed record RegisterRequest(string? Name, string? Url);
