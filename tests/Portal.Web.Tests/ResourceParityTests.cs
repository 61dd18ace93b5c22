using System.Xml.Linq;

namespace Portal.Web.Tests;

/// <summary>Every UI string exists in both languages, and no translation is left empty.</summary>
public sealed class ResourceParityTests
{
    private static Dictionary<string, string> Load(string file)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Portal.sln")))
        {
            dir = dir.Parent;
        }

        var path = Path.Combine(dir!.FullName, "src", "Portal.Web", "Localization", file);
        return XDocument.Load(path).Root!.Elements("data")
            .ToDictionary(d => (string)d.Attribute("name")!, d => (string?)d.Element("value") ?? "");
    }

    [Fact]
    public void SharedResource_EnglishAndChinese_HaveTheSameKeysAndNoEmptyText()
    {
        var en = Load("SharedResource.resx");
        var zh = Load("SharedResource.zh-CN.resx");

        Assert.Empty(en.Keys.Except(zh.Keys));
        Assert.Empty(zh.Keys.Except(en.Keys));
        Assert.Empty(en.Where(e => string.IsNullOrWhiteSpace(e.Value)).Select(e => e.Key));
        Assert.Empty(zh.Where(e => string.IsNullOrWhiteSpace(e.Value)).Select(e => e.Key));
    }

    [Fact]
    public void SharedResource_FormatPlaceholders_MatchBetweenLanguages()
    {
        var en = Load("SharedResource.resx");
        var zh = Load("SharedResource.zh-CN.resx");
        static string Holes(string s) => string.Join(",", System.Text.RegularExpressions.Regex.Matches(s, @"\{\d+\}").Select(m => m.Value).Order());

        var mismatched = en.Keys.Where(k => zh.ContainsKey(k) && Holes(en[k]) != Holes(zh[k])).ToList();

        Assert.True(mismatched.Count == 0, "placeholders differ: " + string.Join(", ", mismatched));
    }
}
