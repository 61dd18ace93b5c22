using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using DiffPlex;
using DiffPlex.Chunkers;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;
using Portal.Runbooks.Model;
using Portal.Runbooks.Storage;

namespace Portal.Runbooks.Authoring;

[JsonConverter(typeof(JsonStringEnumConverter<FieldChangeKind>))]
public enum FieldChangeKind
{
    Added,
    Removed,
    Changed,
}

[JsonConverter(typeof(JsonStringEnumConverter<SegmentKind>))]
public enum SegmentKind
{
    Same,
    Deleted,
    Inserted,
}

/// <summary>A run of text that is the same in both versions, only in the old one, or only in the new one.</summary>
public sealed record DiffSegment(SegmentKind Kind, string Text);

/// <summary>One field that differs, e.g. "steps[port].title.en", with its text diff when it changed.</summary>
public sealed record FieldChange(string Path, FieldChangeKind Kind, string? Before, string? After, IReadOnlyList<DiffSegment> Segments);

/// <summary>One line of the whole-document (YAML) diff, side by side.</summary>
/// <param name="Kind">unchanged, deleted, inserted, modified or imaginary (a gap opposite an insert).</param>
public sealed record DiffLine(int? Number, string Kind, string Text);

/// <summary>Two versions compared: field by field, and as text.</summary>
public sealed record RunbookDiffResult(IReadOnlyList<FieldChange> Fields, IReadOnlyList<DiffLine> OldLines, IReadOnlyList<DiffLine> NewLines);

/// <summary>
/// Compares two runbook contents with DiffPlex. Fields are addressed by step and solution id, not
/// position, so moving a step shows as a reorder ("steps" order) rather than every field changing.
/// Changed texts get a word diff, or a character diff where there is Chinese.
/// </summary>
public static class RunbookDiff
{
    private const int CharacterDiffLimit = 4000;

    public static RunbookDiffResult Compare(string slug, RunbookContent before, RunbookContent after)
    {
        var old = Flatten(before);
        var current = Flatten(after);
        var fields = new List<FieldChange>();
        foreach (var (path, value) in current)
        {
            if (!old.TryGetValue(path, out var was))
            {
                fields.Add(new(path, FieldChangeKind.Added, null, value, [new(SegmentKind.Inserted, value)]));
            }
            else if (!string.Equals(was, value, StringComparison.Ordinal))
            {
                fields.Add(new(path, FieldChangeKind.Changed, was, value, Segments(was, value)));
            }
        }

        fields.AddRange(old.Where(p => !current.ContainsKey(p.Key))
            .Select(p => new FieldChange(p.Key, FieldChangeKind.Removed, p.Value, null, [new(SegmentKind.Deleted, p.Value)])));

        var text = SideBySideDiffBuilder.Diff(
            RunbookYaml.Write(RunbookDocument.From(slug, before)), RunbookYaml.Write(RunbookDocument.From(slug, after)));
        return new RunbookDiffResult(fields, Lines(text.OldText), Lines(text.NewText));
    }

    /// <summary>Pieces of old and new text: same, deleted, inserted, in reading order.</summary>
    public static IReadOnlyList<DiffSegment> Segments(string before, string after)
    {
        // Words read best for English; Chinese has no spaces, so it is compared character by character.
        IChunker chunker = before.Length + after.Length > CharacterDiffLimit ? LineChunker.Instance
            : before.Any(Search.SearchQuery.IsChinese) || after.Any(Search.SearchQuery.IsChinese) ? CharacterChunker.Instance
            : WordChunker.Instance;
        var diff = Differ.Instance.CreateDiffs(before, after, ignoreWhiteSpace: false, ignoreCase: false, chunker);
        var segments = new List<DiffSegment>();
        var position = 0;
        foreach (var block in diff.DiffBlocks)
        {
            Add(segments, SegmentKind.Same, diff.PiecesOld, position, block.DeleteStartA - position);
            Add(segments, SegmentKind.Deleted, diff.PiecesOld, block.DeleteStartA, block.DeleteCountA);
            Add(segments, SegmentKind.Inserted, diff.PiecesNew, block.InsertStartB, block.InsertCountB);
            position = block.DeleteStartA + block.DeleteCountA;
        }

        Add(segments, SegmentKind.Same, diff.PiecesOld, position, diff.PiecesOld.Count - position);
        return segments;
    }

    /// <summary>Every leaf of the content as "path" -> text, in document order.</summary>
    public static IReadOnlyDictionary<string, string> Flatten(RunbookContent content)
    {
        var fields = new OrderedDictionary<string, string>(StringComparer.Ordinal);
        Walk(JsonSerializer.SerializeToNode(content, RunbookJson.Options), "", fields);
        return fields;
    }

    private static void Walk(JsonNode? node, string path, OrderedDictionary<string, string> fields)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    Walk(value, path.Length == 0 ? key : $"{path}.{key}", fields);
                }

                break;
            case JsonArray array:
                // Arrays of things with ids (steps, solutions) are keyed by id; their order is a field of its own.
                var ids = array.Select(item => (item as JsonObject)?["id"]?.GetValue<string>()).ToList();
                var keyed = ids.Count > 0 && ids.All(id => !string.IsNullOrEmpty(id)) && ids.Distinct(StringComparer.Ordinal).Count() == ids.Count;
                if (keyed)
                {
                    fields[$"{path} (order)"] = string.Join(", ", ids);
                }

                for (var i = 0; i < array.Count; i++)
                {
                    Walk(array[i], keyed ? $"{path}[{ids[i]}]" : string.Create(CultureInfo.InvariantCulture, $"{path}[{i}]"), fields);
                }

                break;
            case JsonValue value:
                fields[path] = value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString();
                break;
        }
    }

    private static void Add(List<DiffSegment> segments, SegmentKind kind, IReadOnlyList<string> pieces, int start, int count)
    {
        if (count <= 0)
        {
            return;
        }

        var text = string.Concat(pieces.Skip(start).Take(count));
        if (segments.Count > 0 && segments[^1].Kind == kind)
        {
            segments[^1] = segments[^1] with { Text = segments[^1].Text + text };
        }
        else
        {
            segments.Add(new(kind, text));
        }
    }

    private static List<DiffLine> Lines(DiffPaneModel pane) =>
        [.. pane.Lines.Select(l => new DiffLine(l.Position, l.Type.ToString().ToLowerInvariant(), l.Text ?? ""))];
}
