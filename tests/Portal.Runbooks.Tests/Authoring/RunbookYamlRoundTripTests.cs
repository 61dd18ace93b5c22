using Portal.Runbooks.Model;
using Portal.Runbooks.Seed;
using Portal.Runbooks.Storage;

namespace Portal.Runbooks.Tests.Authoring;

/// <summary>Export then import changes nothing, for every runbook of the guide.</summary>
public sealed class RunbookYamlRoundTripTests
{
    public static TheoryData<string> Slugs => [.. GuideSeeder.LoadRunbooks().Select(r => r.Slug)];

    [Theory]
    [MemberData(nameof(Slugs))]
    public void WriteThenRead_EverySeededRunbook_IsIdentical(string slug)
    {
        var seeded = GuideSeeder.LoadRunbooks().Single(r => r.Slug == slug);

        var yaml = RunbookYaml.Write(seeded);
        var back = RunbookYaml.ReadRunbook(yaml);

        Assert.Equal(slug, back.Slug);
        Assert.Equal(RunbookJson.Canonical(seeded.ToContent()), RunbookJson.Canonical(back.ToContent()));
        Assert.Equal(yaml, RunbookYaml.Write(back));
    }

    [Fact]
    public void WriteAllThenReadAll_EverySeededRunbook_IsIdenticalAndInOrder()
    {
        var seeded = GuideSeeder.LoadRunbooks();

        var back = RunbookYaml.ReadAll(RunbookYaml.WriteAll(seeded));

        Assert.Equal(seeded.Select(s => s.Slug), back.Select(b => b.Slug));
        Assert.Equal(seeded.Select(s => RunbookJson.Hash(s.ToContent())), back.Select(b => RunbookJson.Hash(b.ToContent())));
    }

    [Fact]
    public void Write_ExportedVersion_RoundTrips()
    {
        var document = GuideSeeder.LoadRunbooks()[0];
        document.Version = 7;

        Assert.Equal(7, RunbookYaml.ReadRunbook(RunbookYaml.Write(document)).Version);
    }

    [Fact]
    public void Write_TrickyStrings_ComeBackExactly()
    {
        var document = GuideSeeder.LoadRunbooks()[0];
        var step = document.Steps[0];
        step.Command = "  leading and trailing  ";
        step.Body[Languages.English] = "line one\nline two: with colon\n  - not a list\n";
        step.Title[Languages.Chinese] = "true";
        document.Summary[Languages.English] = "0123 # not a comment, 'quotes' \"double\"";

        var back = RunbookYaml.ReadRunbook(RunbookYaml.Write(document));

        Assert.Equal(RunbookJson.Canonical(document.ToContent()), RunbookJson.Canonical(back.ToContent()));
    }
}
