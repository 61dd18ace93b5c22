using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Portal.Runbooks.Model;

namespace Portal.Runbooks.Storage;

/// <summary>How runbook content is written into the jsonb column, and its fingerprint.</summary>
public static class RunbookJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Deserialize<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Options)
        ?? throw new JsonException($"Stored {typeof(T).Name} is null.");

    /// <summary>
    /// SHA-256 of the canonical JSON: tells whether a seed changed since it was stored. Canonical
    /// because jsonb does not keep key order, so content read back must hash like content written.
    /// </summary>
    public static string Hash(RunbookContent content) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Canonical(content))));

    /// <summary>The serialized value with object keys sorted, so equal content gives equal text.</summary>
    public static string Canonical<T>(T value) => Sort(JsonSerializer.SerializeToNode(value, Options))?.ToJsonString() ?? "null";

    private static JsonNode? Sort(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, Sort(p.Value)))),
        JsonArray array => new JsonArray([.. array.Select(Sort)]),
        _ => node?.DeepClone(),
    };
}
