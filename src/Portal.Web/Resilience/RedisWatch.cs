using StackExchange.Redis;

namespace Portal.Web.Resilience;

/// <summary>
/// Watches the portal's Redis: the connection's own failure and restore events say it at once, and a PING every
/// CheckInterval catches a server that hangs. While Redis is away the portal runs as a single instance:
/// live events and incident changes reach this instance's viewers in process, other instances' viewers read
/// PostgreSQL. StackExchange.Redis reconnects by itself; the first answered PING ends single-instance mode.
/// </summary>
public sealed class RedisWatch(
    IConnectionMultiplexer redis, PortalDegradedState state, ResilienceOptions options, TimeProvider time, ILogger<RedisWatch> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        redis.ConnectionFailed += OnFailed;
        try
        {
            using var timer = new PeriodicTimer(options.CheckInterval, time);
            do
            {
                try
                {
                    await redis.GetDatabase().PingAsync().WaitAsync(options.CheckTimeout, stoppingToken);
                    if (state.RedisDown)
                    {
                        logger.LogWarning("The portal's Redis answers again after {Duration}; instances share live events again",
                            time.GetUtcNow() - state.Redis!.Since);
                    }

                    state.RedisRecovered();
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException && !stoppingToken.IsCancellationRequested)
                {
                    Failed(ex.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        finally
        {
            redis.ConnectionFailed -= OnFailed;
        }
    }

    private void OnFailed(object? sender, ConnectionFailedEventArgs e) => Failed(e.Exception?.Message ?? e.FailureType.ToString());

    private void Failed(string reason)
    {
        if (!state.RedisDown)
        {
            logger.LogError("The portal's Redis does not answer: {Reason}; single-instance mode", reason);
        }

        state.RedisFailed(reason);
    }
}
