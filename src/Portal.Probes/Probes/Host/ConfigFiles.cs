using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Portal.Probes.Probes.Host;

/// <summary>A parsed config file as one tree (objects, arrays, scalars), or where and why it did not parse.</summary>
internal sealed record ConfigParse(JsonNode? Root, long? Line, long? Column, string? Error)
{
    public bool IsValid => Error is null;

    public static ConfigParse Ok(JsonNode? root) => new(root, null, null, null);

    public static ConfigParse Failed(long? line, long? column, string error) => new(null, line, column, error);
}

/// <summary>
/// Parses JSON (System.Text.Json, comments allowed), YAML (YamlDotNet, first document), INI
/// ([section] then key = value or key: value; ';' and '#' comments; keys are case-insensitive) and
/// .env (NAME=value, optional "export", quotes) into one tree, so required keys are looked up the
/// same way everywhere: "a.b" (or "a:b") means key b inside a; INI sections are the first level.
/// Parse errors carry 1-based line and column, and never a value from the file.
/// </summary>
internal static class ConfigParser
{
    public static readonly string[] Formats = ["json", "yaml", "ini", "env"];

    /// <summary>Alias expansion ("billion laughs") and deep nesting stop here instead of eating memory.</summary>
    private const int NodeBudget = 100_000;
    private const int MaxDepth = 64;

    private static readonly Regex EnvName = new("^[A-Za-z_][A-Za-z0-9_.]*$", RegexOptions.CultureInvariant);

    /// <returns>The format a file name implies, or null when it implies none.</returns>
    public static string? FormatOf(string path)
    {
        var name = Path.GetFileName(path).ToLowerInvariant();
        return Path.GetExtension(name) switch
        {
            ".json" => "json",
            ".yaml" or ".yml" => "yaml",
            ".ini" or ".cfg" or ".conf" => "ini",
            ".env" => "env",
            _ when name.StartsWith(".env", StringComparison.Ordinal) => "env",
            _ => null,
        };
    }

    public static ConfigParse Parse(string text, string format) => format switch
    {
        "json" => ParseJson(text),
        "yaml" => ParseYaml(text),
        "ini" => ParseIni(text),
        "env" => ParseEnv(text),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown format"),
    };

    /// <summary>Finds a key: literally at the top level first, then as a path of '.'- or ':'-separated segments (numbers index lists).</summary>
    public static bool TryFind(JsonNode? root, string key, out JsonNode? value)
    {
        if (root is JsonObject top && top.TryGetPropertyValue(key, out value))
        {
            return true;
        }

        value = root;
        foreach (var segment in key.Split('.', ':'))
        {
            if (value is JsonObject o && o.TryGetPropertyValue(segment, out var next))
            {
                value = next;
            }
            else if (value is JsonArray a && int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count)
            {
                value = a[i];
            }
            else
            {
                value = null;
                return false;
            }
        }

        return true;
    }

    private static ConfigParse ParseJson(string text)
    {
        try
        {
            return ConfigParse.Ok(JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowDuplicateProperties = false }));
        }
        catch (JsonException ex)
        {
            // "… Path: $.a | LineNumber: 0 | BytePositionInLine: 5." — positions are kept as numbers, the tail dropped.
            var message = ex.Message;
            var cut = message.IndexOf(" Path:", StringComparison.Ordinal) is var p and >= 0 ? p : message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            return ConfigParse.Failed((ex.LineNumber ?? 0) + 1, (ex.BytePositionInLine ?? 0) + 1, (cut >= 0 ? message[..cut] : message).Trim());
        }
        catch (ArgumentException ex)
        {
            return ConfigParse.Failed(null, null, ex.Message); // a duplicate property name
        }
    }

    private static ConfigParse ParseYaml(string text)
    {
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            var budget = NodeBudget;
            return ConfigParse.Ok(stream.Documents.Count == 0 ? null : FromYaml(stream.Documents[0].RootNode, ref budget, 0));
        }
        catch (YamlException ex)
        {
            // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: 20) - (Line: …): "; the positions are reported separately.
            var message = Regex.Replace(ex.Message, @"^\(Line: .*?\): ", string.Empty, RegexOptions.None, TimeSpan.FromMilliseconds(100));
            return ConfigParse.Failed(ex.Start.Line, ex.Start.Column, message);
        }
        catch (TooBigException ex)
        {
            return ConfigParse.Failed(null, null, ex.Message);
        }
        catch (ArgumentException ex)
        {
            return ConfigParse.Failed(null, null, ex.Message);
        }
    }

    private static JsonNode? FromYaml(YamlNode node, ref int budget, int depth)
    {
        if (--budget < 0 || depth > MaxDepth)
        {
            throw new TooBigException(budget < 0 ? $"more than {NodeBudget} nodes (aliases that expand without end?)" : $"nested deeper than {MaxDepth} levels");
        }

        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (key, value) in map.Children)
                {
                    var name = key is YamlScalarNode { Value: { } k } ? k : key.ToString();
                    obj[name] = FromYaml(value, ref budget, depth + 1);
                }

                return obj;
            case YamlSequenceNode list:
                var array = new JsonArray();
                foreach (var item in list.Children)
                {
                    array.Add(FromYaml(item, ref budget, depth + 1));
                }

                return array;
            case YamlScalarNode scalar:
                return scalar.Style == YamlDotNet.Core.ScalarStyle.Plain && scalar.Value is null or "" or "~" or "null" or "Null" or "NULL"
                    ? null
                    : JsonValue.Create(scalar.Value ?? string.Empty);
            default:
                return null;
        }
    }

    private static ConfigParse ParseIni(string text)
    {
        var options = new JsonNodeOptions { PropertyNameCaseInsensitive = true };
        var root = new JsonObject(options);
        var section = root;
        var lines = text.Split('\n');
        for (var n = 0; n < lines.Length; n++)
        {
            var line = lines[n].TrimEnd('\r');
            var t = line.Trim();
            var column = line.Length - line.TrimStart().Length + 1;
            if (t.Length == 0 || t[0] is ';' or '#')
            {
                continue;
            }

            if (t[0] == '[')
            {
                var close = t.IndexOf(']', StringComparison.Ordinal);
                if (close < 0)
                {
                    return ConfigParse.Failed(n + 1, column + t.Length, "section header has no closing ']'");
                }

                var name = t[1..close].Trim();
                if (name.Length == 0)
                {
                    return ConfigParse.Failed(n + 1, column, "empty section name");
                }

                if (root[name] is not JsonObject existing)
                {
                    root[name] = existing = new JsonObject(options);
                }

                section = existing;
                continue;
            }

            var eq = t.IndexOf('=', StringComparison.Ordinal);
            var colon = t.IndexOf(':', StringComparison.Ordinal);
            var at = eq < 0 ? colon : colon < 0 ? eq : Math.Min(eq, colon);
            if (at <= 0 || t[..at].Trim().Length == 0)
            {
                return ConfigParse.Failed(n + 1, column, at == 0 ? "a key is missing before '='" : "expected 'key = value', a [section] or a comment");
            }

            section[t[..at].Trim()] = JsonValue.Create(Unquote(t[(at + 1)..].Trim()));
        }

        return ConfigParse.Ok(root);
    }

    private static ConfigParse ParseEnv(string text)
    {
        var root = new JsonObject();
        var lines = text.Split('\n');
        for (var n = 0; n < lines.Length; n++)
        {
            var line = lines[n].TrimEnd('\r');
            var t = line.TrimStart();
            var column = line.Length - t.Length + 1;
            if (t.Length == 0 || t[0] == '#')
            {
                continue;
            }

            if (t.StartsWith("export ", StringComparison.Ordinal))
            {
                var rest = t[7..].TrimStart();
                column += t.Length - rest.Length;
                t = rest;
            }

            var eq = t.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                return ConfigParse.Failed(n + 1, column, eq == 0 ? "a variable name is missing before '='" : "expected NAME=value or a comment");
            }

            var name = t[..eq];
            if (!EnvName.IsMatch(name))
            {
                return ConfigParse.Failed(n + 1, column, "not a valid variable name (letters, digits and '_', not starting with a digit)");
            }

            var raw = t[(eq + 1)..];
            string value;
            if (raw.Length > 0 && raw[0] is '"' or '\'')
            {
                var close = raw.IndexOf(raw[0], 1);
                if (close < 0)
                {
                    return ConfigParse.Failed(n + 1, column + eq + 1, $"the value's opening {raw[0]} is never closed");
                }

                value = raw[1..close];
            }
            else
            {
                var comment = raw.IndexOf(" #", StringComparison.Ordinal);
                value = (comment >= 0 ? raw[..comment] : raw).Trim();
            }

            root[name] = JsonValue.Create(value);
        }

        return ConfigParse.Ok(root);
    }

    private static string Unquote(string value) =>
        value.Length >= 2 && value[0] is '"' or '\'' && value[^1] == value[0] ? value[1..^1] : value;

    private sealed class TooBigException(string message) : Exception(message);
}

/// <summary>Which keys hold secrets, and how their values are kept out of every event.</summary>
internal static partial class ConfigSecrets
{
    public const string Mask = "***";

    /// <summary>Does a key name look like it holds a secret? Compared lower-case with '_', '-', '.', ' ' removed.</summary>
    public static bool IsSecretKey(string key) => SecretWord().IsMatch(key.ToLowerInvariant().Replace("_", string.Empty, StringComparison.Ordinal)
        .Replace("-", string.Empty, StringComparison.Ordinal).Replace(" ", string.Empty, StringComparison.Ordinal));

    /// <summary>Any segment of a dotted path secret-looking (credentials.user counts).</summary>
    public static bool IsSecretPath(string path) => path.Split('.', ':').Any(IsSecretKey);

    /// <summary>A value carrying credentials whatever its key: "Password=…" inside a connection string, or user:pass@ in a URL.</summary>
    public static bool LooksSecret(string value) => CredentialValue().IsMatch(value);

    /// <summary>Values from the raw text: lines "key: value", "key = value", "\"key\": value" whose key looks secret. Catches secrets of files that do not parse.</summary>
    public static IEnumerable<string> FromRawLines(string text)
    {
        foreach (var line in text.Split('\n'))
        {
            var m = RawAssignment().Match(line);
            if (!m.Success)
            {
                continue;
            }

            var value = m.Groups["value"].Value.Trim().TrimEnd(',').Trim().Trim('"', '\'');
            if (value.Length > 0 && (IsSecretKey(m.Groups["key"].Value) || LooksSecret(value)))
            {
                yield return value;
            }
        }
    }

    /// <summary>Every scalar below a secret-looking key, or that looks secret itself; bounded.</summary>
    public static void Collect(JsonNode? node, bool underSecret, ISet<string> into, ref int budget)
    {
        if (--budget < 0 || node is null)
        {
            return;
        }

        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o)
                {
                    Collect(value, underSecret || IsSecretKey(key), into, ref budget);
                }

                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    Collect(item, underSecret, into, ref budget);
                }

                break;
            default:
                var text = Scalar(node);
                if (underSecret || LooksSecret(text))
                {
                    into.Add(text);
                }

                break;
        }
    }

    /// <summary>What a value looks like in output: "***" when secret, "{3 keys}", "[2 items]", or the text (200 chars at most).</summary>
    public static string Show(string key, JsonNode? value)
    {
        if (IsSecretPath(key))
        {
            return Mask;
        }

        return value switch
        {
            null => "(empty)",
            JsonObject o => o.Count == 1 ? "{1 key}" : $"{{{o.Count} keys}}",
            JsonArray a => a.Count == 1 ? "[1 item]" : $"[{a.Count} items]",
            _ when Scalar(value) is var text && LooksSecret(text) => Mask,
            _ => Truncate(Scalar(value)),
        };
    }

    public static string Scalar(JsonNode node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : node.ToJsonString();

    /// <summary>Replaces every known secret value (3 characters or more, longest first) with the mask.</summary>
    public static string Scrub(string text, IReadOnlyCollection<string> secrets)
    {
        foreach (var secret in secrets.Where(s => s.Length >= 3).OrderByDescending(s => s.Length))
        {
            text = text.Replace(secret, Mask, StringComparison.Ordinal);
        }

        return text;
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "…";

    [GeneratedRegex("pass(word|wd)?|pwd|secret|token|key|credential|dsn|conn(ection)?str|auth|private|salt|cookie|session", RegexOptions.CultureInvariant)]
    private static partial Regex SecretWord();

    [GeneratedRegex(@"(?i)(password|pwd)\s*=|://[^/\s:@]+:[^/\s@]+@", RegexOptions.CultureInvariant)]
    private static partial Regex CredentialValue();

    [GeneratedRegex(@"^\s*(?:export\s+)?[""']?(?<key>[A-Za-z0-9_.\- ]{1,128}?)[""']?\s*[:=]\s*(?<value>.+)$", RegexOptions.CultureInvariant)]
    private static partial Regex RawAssignment();
}
