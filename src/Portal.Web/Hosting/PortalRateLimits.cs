using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace Portal.Web.Hosting;

/// <summary>
/// Rate limits: sign-in attempts per client address (POST /api/auth/token and /account/login,
/// policy <see cref="SignInPolicy"/>), and probe runs per user (<see cref="ProbeRunLimiter"/>,
/// asked by the runner, so the API, the probes page and walkthroughs share one budget).
/// Portal:RateLimits:SignInsPerMinute (default 10) and Portal:RateLimits:ProbeRunsPerMinute (default 30).
/// </summary>
public static class PortalRateLimits
{
    public const string SignInPolicy = "sign-in";

    public static IServiceCollection AddPortalRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var signIns = configuration.GetValue("Portal:RateLimits:SignInsPerMinute", 10);
        var runs = configuration.GetValue("Portal:RateLimits:ProbeRunsPerMinute", 30);
        if (signIns < 1 || runs < 1)
        {
            throw new InvalidOperationException("Portal:RateLimits:SignInsPerMinute and ProbeRunsPerMinute must be at least 1.");
        }

        services.AddSingleton(new ProbeRunLimiter(runs, TimeSpan.FromMinutes(1)));
        services.AddRateLimiter(o =>
        {
            o.AddPolicy(SignInPolicy, http => RateLimitPartition.GetFixedWindowLimiter(
                http.Connection.RemoteIpAddress?.ToString() ?? "",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = signIns, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            o.OnRejected = async (context, ct) =>
            {
                var wait = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromMinutes(1);
                var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
                var response = context.HttpContext.Response;
                response.StatusCode = StatusCodes.Status429TooManyRequests;
                response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await response.WriteAsJsonAsync(new Microsoft.AspNetCore.Mvc.ProblemDetails
                {
                    Status = StatusCodes.Status429TooManyRequests,
                    Title = "Too many sign-in attempts",
                    Detail = $"Too many sign-in attempts from this address: wait {seconds} s.",
                }, ct);
                // A refused sign-in is part of the record too (who hammered the door, when, from where).
                var http = context.HttpContext;
                await http.RequestServices.GetRequiredService<Auth.AuditLog>().WriteAsync(
                    "", Auth.AuthEndpoints.Source(http), "sign-in", http.Request.Path.Value ?? "", "rate_limited",
                    new { retryAfterSeconds = seconds }, CancellationToken.None);
            };
        });
        return services;
    }
}

/// <summary>Probe runs per user in a fixed window; other users have their own budget.</summary>
public sealed class ProbeRunLimiter(int perWindow, TimeSpan window) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(user =>
        RateLimitPartition.GetFixedWindowLimiter(user, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = perWindow, Window = window, QueueLimit = 0, AutoReplenishment = true,
        }));

    /// <returns>Null when <paramref name="user"/> may start a run now; otherwise how long to wait.</returns>
    public TimeSpan? TryAcquire(string user)
    {
        using var lease = _limiter.AttemptAcquire(user);
        return lease.IsAcquired
            ? null
            : lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : window;
    }

    public void Dispose() => _limiter.Dispose();
}
