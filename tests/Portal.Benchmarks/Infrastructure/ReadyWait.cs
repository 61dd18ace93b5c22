namespace Portal.Benchmarks.Infrastructure;

/// <summary>The portal migrates and seeds in the background after start; benchmarks wait for /health/ready.</summary>
public static class ReadyWait
{
    public static async Task UntilReadyAsync(HttpClient client, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            using var response = await client.GetAsync("/health/ready");
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the portal was not ready after {limit.TotalSeconds:0} s: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }

            await Task.Delay(100);
        }
    }
}
