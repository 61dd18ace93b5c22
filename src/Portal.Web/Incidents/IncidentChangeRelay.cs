using System.Text.Json;
using Portal.Web.Resilience;
using StackExchange.Redis;

namespace Portal.Web.Incidents;

/// <summary>
/// Carries "incident X changed" between portal instances through Redis (channel portal:incidents). Viewers
/// on this instance are told by <see cref="IncidentChanges"/> directly, so with Redis away they still are
/// (single-instance mode); viewers elsewhere re-read when Redis is back or on their next action.
/// </summary>
public sealed class IncidentChangeRelay(
    IConnectionMultiplexer redis, IncidentChanges changes, PortalInstance instance, ILogger<IncidentChangeRelay> logger) : IHostedService
{
    public static readonly RedisChannel Channel = RedisChannel.Literal("portal:incidents");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        changes.Recorded += OnRecorded;
        try
        {
            await redis.GetSubscriber().SubscribeAsync(Channel, (_, message) => OnMessage(message));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // StackExchange.Redis subscribes again by itself once Redis is back.
            logger.LogWarning("Incident changes of other instances cannot be followed yet: {Reason}", ex.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        changes.Recorded -= OnRecorded;
        return Task.CompletedTask;
    }

    private void OnRecorded(Guid incidentId, long seq)
    {
        var message = JsonSerializer.Serialize(new Message(instance.Id, incidentId, seq));
        try
        {
            redis.GetSubscriber().Publish(Channel, message, CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Redis is away (single-instance mode): this instance's viewers were told already.
        }
    }

    private void OnMessage(RedisValue value)
    {
        try
        {
            if (JsonSerializer.Deserialize<Message>(value.ToString()) is { } message && message.Origin != instance.Id)
            {
                changes.Notify(message.IncidentId, message.Seq);
            }
        }
        catch (JsonException ex)
        {
            logger.LogWarning(ex, "An unreadable message on {Channel} was ignored", Channel);
        }
    }

    private sealed record Message(Guid Origin, Guid IncidentId, long Seq);
}
