using Portal.Probes.Contract;

namespace Portal.Web.Inventory;

/// <summary>
/// The default environment "local", at the guide's own addresses (DESIGN "Targets"). Created once;
/// an environment that already exists is never touched, so admins' edits stand.
/// </summary>
public static class LocalEnvironmentSeed
{
    public const string Name = "local";

    public static IReadOnlyList<TargetRecord> Targets { get; } =
    [
        Http("platform-api", "http://localhost:8000", ["/var/log/platform/api.log"], ["platform-api"]),
        Http("fine-tuning-service", "http://localhost:8001", [], ["fine-tuning-service"]),
        new()
        {
            Environment = Name, Name = "platform-db", Role = "platform-db", Kind = TargetKind.Postgres,
            Host = "localhost", Port = 5432, Database = "platform", Username = "platform",
            Units = ["postgresql"], AllowLoopback = true,
        },
        new()
        {
            Environment = Name, Name = "platform-redis", Role = "platform-redis", Kind = TargetKind.Redis,
            Host = "localhost", Port = 6379, AllowLoopback = true,
        },
        new()
        {
            Environment = Name, Name = "prometheus", Role = "prometheus", Kind = TargetKind.Prometheus,
            BaseUrl = "http://localhost:9090", AllowLoopback = true,
        },
    ];

    public static async Task SeedAsync(InventoryStore store, CancellationToken ct)
    {
        if (await store.EnvironmentExistsAsync(Name, ct))
        {
            return;
        }

        await store.EnsureEnvironmentAsync(Name, "This machine, at the troubleshooting guide's default addresses", ct);
        foreach (var target in Targets)
        {
            await store.UpsertTargetAsync(target, password: null, ct);
        }
    }

    private static TargetRecord Http(string name, string baseUrl, IReadOnlyList<string> logs, IReadOnlyList<string> units) => new()
    {
        Environment = Name, Name = name, Role = name, Kind = TargetKind.Http, BaseUrl = baseUrl,
        LogPaths = logs, Units = units, AllowLoopback = true,
    };
}
