using System.Collections.Concurrent;
using System.Text.Json;
using StackExchange.Redis;

namespace Portal.Web.Runs;

/// <summary>
/// Carries live run events between portal instances through Redis pub/sub: the instance running a probe
/// publishes its events in batches (channel portal:run:{id}); an instance with a viewer of that run
/// subscribes while the viewer watches. Pub/sub keeps nothing: whatever a viewer missed (it came late,
/// Redis was away) <see cref="RunStream"/> reads from PostgreSQL, so Redis only makes it live.
/// </summary>
public sealed class RedisRunRelay(IConnectionMultiplexer redis, RunnerOptions options, ILogger<RedisRunRelay> logger)
{
    private static readonly TimeSpan PublishInterval = TimeSpan.FromMilliseconds(50);
    private readonly ConcurrentDictionary<Guid, Subscription> _subscriptions = new();

    private IConnectionMultiplexer Redis => redis;

    private ILogger Logger => logger;

    private long _received;

    /// <summary>Events that arrived from other instances through Redis since start (diagnostics, metrics).</summary>
    public long EventsReceived => Interlocked.Read(ref _received);

    public static RedisChannel ChannelOf(Guid runId) => RedisChannel.Literal($"portal:run:{runId:N}");

    /// <summary>Publishes the feed's events until its last one; never holds the probe back.</summary>
    public void Publish(RunFeed feed) => _ = Task.Run(() => PublishAsync(feed), CancellationToken.None);

    private async Task PublishAsync(RunFeed feed)
    {
        var channel = ChannelOf(feed.RunId);
        long last = 0;
        var warned = false;
        while (true)
        {
            await feed.WaitAsync(last, CancellationToken.None);
            var batch = feed.ReadAfter(last, 500);
            if (batch.Count == 0)
            {
                continue;
            }

            last = batch[^1].Seq;
            try
            {
                await redis.GetSubscriber().PublishAsync(channel, JsonSerializer.Serialize(batch, JsonSerializerOptions.Web));
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Viewers on other instances fall back to PostgreSQL; one warning per run is enough.
                if (!warned)
                {
                    logger.LogWarning("Run {RunId}: live events cannot reach other instances through Redis: {Reason}", feed.RunId, ex.Message);
                    warned = true;
                }
            }

            if (batch[^1].IsTerminal)
            {
                return;
            }

            await Task.Delay(PublishInterval);
        }
    }

    /// <summary>Follows a run of another instance; dispose the watch when done watching.</summary>
    public RemoteRunWatch Watch(Guid runId)
    {
        lock (_subscriptions)
        {
            var subscription = _subscriptions.AddOrUpdate(runId,
                id => new Subscription(this, id, Math.Min(options.FeedCapacity, 10_000)),
                (_, existing) => existing.AddViewer());
            return new RemoteRunWatch(subscription.Feed, () => Release(runId));
        }
    }

    private void Release(Guid runId)
    {
        lock (_subscriptions)
        {
            if (_subscriptions.TryGetValue(runId, out var subscription) && subscription.RemoveViewer() == 0
            && _subscriptions.TryRemove(KeyValuePair.Create(runId, subscription)))
        {
                subscription.Unsubscribe();
            }
        }
    }

    /// <summary>One Redis subscription per watched run, shared by its viewers on this instance.</summary>
    private sealed class Subscription
    {
        private readonly RedisRunRelay _relay;
        private readonly Guid _runId;
        private int _viewers = 1;

        public Subscription(RedisRunRelay relay, Guid runId, int capacity)
        {
            _relay = relay;
            _runId = runId;
            Feed = new RemoteRunFeed(runId, capacity);
            // Not awaited: a Redis that is away must not hold the viewer up (it reads PostgreSQL meanwhile).
            _ = relay.Redis.GetSubscriber().SubscribeAsync(ChannelOf(runId), (_, message) => Receive(message)).ContinueWith(
                t => relay.Logger.LogWarning("Run {RunId}: cannot follow it through Redis ({Reason}); reading it from PostgreSQL",
                    runId, t.Exception?.GetBaseException().Message),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }

        public RemoteRunFeed Feed { get; }

        public Subscription AddViewer()
        {
            Interlocked.Increment(ref _viewers);
            // Each viewer disposes its own handle; they share the events.
            return this;
        }

        public int RemoveViewer() => Interlocked.Decrement(ref _viewers);

        public void Unsubscribe()
        {
            // Redis forgets the subscriptions of a lost connection anyway: a failure here needs nothing.
            _ = _relay.Redis.GetSubscriber().UnsubscribeAsync(ChannelOf(_runId)).ContinueWith(
                t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }

        private void Receive(RedisValue message)
        {
            try
            {
                if (JsonSerializer.Deserialize<List<RunEvent>>(message.ToString(), JsonSerializerOptions.Web) is { } events)
                {
                    Feed.Add(events);
                    Interlocked.Add(ref _relay._received, events.Count);
                }
            }
            catch (JsonException ex)
            {
                _relay.Logger.LogWarning(ex, "Run {RunId}: an unreadable message on its Redis channel was ignored", _runId);
            }
        }
    }
}
