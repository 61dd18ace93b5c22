using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace Portal.Web.Hosting;

/// <summary>
/// A cap on live Blazor circuits (browser tabs) per user, Portal:Limits:CircuitsPerUser (default 20):
/// each circuit holds server memory for as long as the tab is open, so one user (or a script with
/// their cookie) must not be able to exhaust the portal every colleague needs during an incident.
/// </summary>
public static class CircuitLimits
{
    public static IServiceCollection AddPortalCircuitLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var perUser = configuration.GetValue("Portal:Limits:CircuitsPerUser", 20);
        if (perUser < 1)
        {
            throw new InvalidOperationException("Portal:Limits:CircuitsPerUser must be at least 1.");
        }

        services.AddSingleton(new CircuitLimiter(perUser));
        // A global hub filter also sees Blazor's own hub, which is where a circuit's connection arrives.
        services.AddSignalR(o => o.AddFilter<CircuitCapFilter>());
        return services;
    }
}

/// <summary>Counts connected circuits per user name.</summary>
public sealed class CircuitLimiter(int perUser)
{
    private readonly ConcurrentDictionary<string, int> _open = new(StringComparer.Ordinal);

    public int Limit => perUser;

    public int OpenFor(string user) => _open.TryGetValue(user, out var n) ? n : 0;

    public bool TryEnter(string user)
    {
        while (true)
        {
            var current = OpenFor(user);
            if (current >= perUser)
            {
                return false;
            }

            if (current == 0 ? _open.TryAdd(user, 1) : _open.TryUpdate(user, current + 1, current))
            {
                return true;
            }
        }
    }

    public void Leave(string user)
    {
        while (_open.TryGetValue(user, out var current))
        {
            if (current <= 1 ? _open.TryRemove(new KeyValuePair<string, int>(user, current)) : _open.TryUpdate(user, current - 1, current))
            {
                return;
            }
        }
    }
}

/// <summary>Refuses a circuit's connection over the cap; the prerendered page already says why.</summary>
public sealed class CircuitCapFilter(CircuitLimiter limiter, ILogger<CircuitCapFilter> logger) : IHubFilter
{
    private const string CountedKey = "portal.circuit-counted";

    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        if (IsCircuit(context.Hub))
        {
            var user = User(context.Context);
            if (!limiter.TryEnter(user))
            {
                logger.LogWarning("Circuit refused: {User} already has {Limit} open", user, limiter.Limit);
                throw new HubException($"Too many open portal tabs for {user}: the limit is {limiter.Limit}. Close one and reload.");
            }

            context.Context.Items[CountedKey] = user;
        }

        await next(context);
    }

    public async Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        if (context.Context.Items.TryGetValue(CountedKey, out var user) && user is string name)
        {
            limiter.Leave(name);
        }

        await next(context, exception);
    }

    /// <summary>Blazor's hub type is internal; its name is stable across releases.</summary>
    private static bool IsCircuit(Hub hub) => hub.GetType().FullName == "Microsoft.AspNetCore.Components.Server.ComponentHub";

    internal static string User(HubCallerContext context) => context.User?.Identity?.Name ?? "";
}
