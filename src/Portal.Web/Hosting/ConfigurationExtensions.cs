namespace Portal.Web.Hosting;

public static class ConfigurationExtensions
{
    /// <summary>A connection string that must be set, with a message that says how to set it.</summary>
    public static string GetRequiredConnectionString(this IConfiguration configuration, string name) =>
        configuration.GetConnectionString(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"ConnectionStrings:{name} is not set. Set the environment variable ConnectionStrings__{name} " +
                "or use scripts/run.sh, which provisions a local database.");
}
