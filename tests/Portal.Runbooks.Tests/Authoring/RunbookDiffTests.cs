using Portal.Runbooks.Authoring;
using Portal.Runbooks.Model;
using Portal.Runbooks.Seed;
using Portal.Runbooks.Storage;

namespace Portal.Runbooks.Tests.Authoring;

public sealed class RunbookDiffTests
{
    private static RunbookContent Seeded(string slug) => GuideSeeder.LoadRunbooks().Single(r => r.Slug == slug).ToContent();

    private static RunbookContent Copy(RunbookContent content) => RunbookJson.Deserialize<RunbookContent>(RunbookJson.Serialize(content));

    [Fact]
    public void Compare_SameContent_NoFieldChangesAndAllLinesUnchanged()
    {
        var diff = RunbookDiff.Compare("tls", Seeded("tls"), Seeded("tls"));

        Assert.Empty(diff.Fields);
        Assert.All(diff.NewLines, l => Assert.Equal("unchanged", l.Kind));
    }

    [Fact]
    public void Compare_ChangedStepTitle_NamesTheFieldByStepIdWithACharacterDiff()
    {
        var before = Seeded("service-start");
        var after = Copy(before);
        var id = after.Steps[0].Id;
        after.Steps[0].Title[Languages.Chinese] += "（新）";

        var change = Assert.Single(RunbookDiff.Compare("service-start", before, after).Fields);

        Assert.Equal($"steps[{id}].title.zh-CN", change.Path);
        Assert.Equal(FieldChangeKind.Changed, change.Kind);
        Assert.Equal(new DiffSegment(SegmentKind.Inserted, "（新）"), change.Segments[^1]);
        Assert.Equal(before.Steps[0].Title[Languages.Chinese], change.Segments[0].Text);
    }

    [Fact]
    public void Segments_EnglishByWord_ChineseByCharacter()
    {
        Assert.Equal(
            [new DiffSegment(SegmentKind.Same, "Check the "), new DiffSegment(SegmentKind.Inserted, "systemd "), new DiffSegment(SegmentKind.Same, "unit")],
            RunbookDiff.Segments("Check the unit", "Check the systemd unit"));
        Assert.Equal(
            [new DiffSegment(SegmentKind.Same, "检查"), new DiffSegment(SegmentKind.Deleted, "端口"), new DiffSegment(SegmentKind.Inserted, "服务"), new DiffSegment(SegmentKind.Same, "状态")],
            RunbookDiff.Segments("检查端口状态", "检查服务状态"));
    }

    [Fact]
    public void Compare_StepsSwapped_IsOneOrderChangeNotEveryField()
    {
        var before = Seeded("service-start");
        var after = Copy(before);
        (after.Steps[1], after.Steps[2]) = (after.Steps[2], after.Steps[1]);

        var change = Assert.Single(RunbookDiff.Compare("service-start", before, after).Fields);

        Assert.Equal("steps (order)", change.Path);
    }

    [Fact]
    public void Compare_RemovedSolutionAndAddedSymptom_AreRemovedAndAddedFields()
    {
        var before = Seeded("tls");
        var after = Copy(before);
        var removed = after.Solutions[^1];
        after.Solutions.RemoveAt(after.Solutions.Count - 1);
        after.Symptoms.Add(LocalizedText.Of("新症状", "new symptom"));

        var diff = RunbookDiff.Compare("tls", before, after);

        Assert.Contains(diff.Fields, f => f.Kind == FieldChangeKind.Removed && f.Path == $"solutions[{removed.Id}].id");
        Assert.Contains(diff.Fields, f => f.Kind == FieldChangeKind.Added && f.After == "new symptom");
        Assert.Contains(diff.OldLines, l => l.Kind == "deleted");
        Assert.Contains(diff.NewLines, l => l.Kind == "inserted" && l.Text.Contains("new symptom", StringComparison.Ordinal));
    }
}
