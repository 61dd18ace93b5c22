using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Portal.Runbooks.Model;

/// <summary>Reads and writes runbooks as YAML: the seed files, and (later) import/export.</summary>
public static class RunbookYaml
{
    private static readonly IDeserializer Deserializer = new DeserializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .WithEnumNamingConvention(LowerCaseNamingConvention.Instance)
        .Build();

    private static readonly ISerializer Serializer = new SerializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .WithEnumNamingConvention(LowerCaseNamingConvention.Instance)
        .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitEmptyCollections | DefaultValuesHandling.OmitNull)
        .Build();

    /// <exception cref="YamlDotNet.Core.YamlException">The text is not a valid runbook document.</exception>
    public static RunbookDocument ReadRunbook(string yaml) =>
        Deserializer.Deserialize<RunbookDocument?>(yaml)
        ?? throw new YamlDotNet.Core.YamlException("The document is empty.");

    public static IReadOnlyList<Category> ReadCategories(string yaml) =>
        Deserializer.Deserialize<List<CategoryDocument>?>(yaml)?
            .Select(c => new Category(c.Key, c.Position, c.Title))
            .ToList() ?? [];

    public static string Write(RunbookDocument document) => Serializer.Serialize(document);

    /// <summary>Several runbooks as one YAML stream, one document each ("---" between them).</summary>
    public static string WriteAll(IEnumerable<RunbookDocument> documents) =>
        string.Join("---\n", documents.Select(Write));

    /// <summary>Every document of a YAML stream (one runbook, or many separated by "---").</summary>
    /// <exception cref="YamlDotNet.Core.YamlException">A document is not a valid runbook.</exception>
    public static IReadOnlyList<RunbookDocument> ReadAll(string yaml)
    {
        var parser = new Parser(new StringReader(yaml));
        parser.Consume<YamlDotNet.Core.Events.StreamStart>();
        var documents = new List<RunbookDocument>();
        while (parser.Accept<YamlDotNet.Core.Events.DocumentStart>(out _))
        {
            documents.Add(Deserializer.Deserialize<RunbookDocument?>(parser)
                          ?? throw new YamlDotNet.Core.YamlException($"Document {documents.Count + 1} is empty."));
        }

        return documents;
    }

    private sealed class CategoryDocument
    {
        public string Key { get; set; } = string.Empty;

        public int Position { get; set; }

        public LocalizedText Title { get; set; } = new();
    }
}
