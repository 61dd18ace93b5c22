using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.StackExchangeRedis;
using Portal.Web.Resilience;
using StackExchange.Redis;

namespace Portal.Web.Hosting;

/// <summary>
/// The Redis backplane, but a hub connection (a Blazor circuit, a /hubs/runs client) is never refused because
/// Redis is away: the Redis lifetime manager subscribes every new connection in Redis, and fails it when it
/// cannot. Connections made while Redis is away are kept in process (single-instance mode); messages go to
/// both, so every connection of this instance gets them, and those in Redis reach the other instances too.
/// </summary>
public sealed class ResilientHubLifetimeManager<THub> : HubLifetimeManager<THub>, IDisposable
    where THub : Hub
{
    private readonly RedisHubLifetimeManager<THub> _redis;
    private readonly DefaultHubLifetimeManager<THub> _local;
    private readonly PortalDegradedState _state;
    private readonly ILogger<ResilientHubLifetimeManager<THub>> _logger;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _inRedis = new(StringComparer.Ordinal);

    public ResilientHubLifetimeManager(IServiceProvider services, PortalDegradedState state, ILogger<ResilientHubLifetimeManager<THub>> logger)
    {
        _redis = ActivatorUtilities.CreateInstance<RedisHubLifetimeManager<THub>>(services);
        _local = ActivatorUtilities.CreateInstance<DefaultHubLifetimeManager<THub>>(services);
        _state = state;
        _logger = logger;
    }

    public override async Task OnConnectedAsync(HubConnectionContext connection)
    {
        if (!_state.RedisDown)
        {
            try
            {
                await _redis.OnConnectedAsync(connection);
                _inRedis[connection.ConnectionId] = true;
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                _logger.LogWarning("Hub connection {ConnectionId} kept on this instance only: Redis is away ({Reason})", connection.ConnectionId, ex.Message);
            }
        }

        _inRedis[connection.ConnectionId] = false;
        await _local.OnConnectedAsync(connection);
    }

    public override async Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        _inRedis.TryRemove(connection.ConnectionId, out var inRedis);
        await (inRedis ? Quietly(() => _redis.OnDisconnectedAsync(connection)) : _local.OnDisconnectedAsync(connection));
    }

    public override Task SendAllAsync(string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        Both(m => m.SendAllAsync(methodName, args, cancellationToken));

    public override Task SendAllExceptAsync(string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds, CancellationToken cancellationToken = default) =>
        Both(m => m.SendAllExceptAsync(methodName, args, excludedConnectionIds, cancellationToken));

    public override Task SendConnectionAsync(string connectionId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        Both(m => m.SendConnectionAsync(connectionId, methodName, args, cancellationToken));

    public override Task SendConnectionsAsync(IReadOnlyList<string> connectionIds, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        Both(m => m.SendConnectionsAsync(connectionIds, methodName, args, cancellationToken));

    public override Task SendGroupAsync(string groupName, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        Both(m => m.SendGroupAsync(groupName, methodName, args, cancellationToken));

    public override Task SendGroupsAsync(IReadOnlyList<string> groupNames, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        Both(m => m.SendGroupsAsync(groupNames, methodName, args, cancellationToken));

    public override Task SendGroupExceptAsync(string groupName, string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds, CancellationToken cancellationToken = default) =>
        Both(m => m.SendGroupExceptAsync(groupName, methodName, args, excludedConnectionIds, cancellationToken));

    public override Task SendUserAsync(string userId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        Both(m => m.SendUserAsync(userId, methodName, args, cancellationToken));

    public override Task SendUsersAsync(IReadOnlyList<string> userIds, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        Both(m => m.SendUsersAsync(userIds, methodName, args, cancellationToken));

    public override Task AddToGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default) =>
        Owner(connectionId).AddToGroupAsync(connectionId, groupName, cancellationToken);

    public override Task RemoveFromGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default) =>
        Owner(connectionId).RemoveFromGroupAsync(connectionId, groupName, cancellationToken);

    public void Dispose() => _redis.Dispose();

    private HubLifetimeManager<THub> Owner(string connectionId) =>
        _inRedis.TryGetValue(connectionId, out var inRedis) && !inRedis ? _local : _redis;

    private Task Both(Func<HubLifetimeManager<THub>, Task> send) => Task.WhenAll(Quietly(() => send(_redis)), send(_local));

    private async Task Quietly(Func<Task> redisCall)
    {
        try
        {
            await redisCall();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Redis is away: this instance's own connections still got the message through the local manager.
            _logger.LogDebug("Hub message not sent through Redis: {Reason}", ex.Message);
        }
    }
}
