using Microsoft.Extensions.DependencyInjection;
using Portal.Probes;
using Portal.Runbooks.Model;
using Portal.Runbooks.Seed;
using Portal.Runbooks.Storage;
using Portal.Web.Authoring;

namespace Portal.IntegrationTests;

/// <summary>Each kind of broken runbook is refused with a message naming the field; every seeded runbook passes.</summary>
public sealed class RunbookEditValidatorTests
{
    private static readonly RunbookEditValidator Validator =
        new(new ServiceCollection().AddProbes().BuildServiceProvider().GetRequiredService<ProbeCatalog>());

    private static readonly IReadOnlyList<RunbookDocument> Guide = GuideSeeder.LoadRunbooks();

    private static readonly string[] Categories = [.. GuideSeeder.LoadCategories().Select(c => c.Key)];

    private static RunbookContent ServiceStart() =>
        RunbookJson.Deserialize<RunbookContent>(RunbookJson.Serialize(Guide.Single(r => r.Slug == "service-start").ToContent()));

    public static TheoryData<string> Slugs => [.. Guide.Select(r => r.Slug)];

    [Theory]
    [MemberData(nameof(Slugs))]
    public void Validate_EverySeededRunbook_HasNoProblems(string slug)
    {
        var problems = Validator.Validate(slug, Guide.Single(r => r.Slug == slug).ToContent(), Categories, [.. Guide.Select(r => r.Slug)]);

        Assert.True(problems.Count == 0, string.Join("; ", problems));
    }

    public static TheoryData<string, string, string> Breakages => new()
    {
        { "unknown probe kind", "steps[0].probe.kind", "no probe 'redis.nonsense' in the catalog" },
        { "invalid parameter value", "steps[0].probe.parameters.port", "port must be a whole number." },
        { "unknown parameter", "steps[0].probe.parameters.colour", "'port.owner' has no parameter 'colour'." },
        { "missing required parameter", "steps[0].probe.parameters.port", "port is required." },
        { "unreachable step", "steps[4]", "step 'orphan' cannot be reached from the first step" },
        { "rule pointing at nothing", "steps[0].rules[0].goto", "no solution 'nowhere'" },
        { "next pointing at nothing", "steps[1].next", "no step 'missing-step'" },
        { "empty title", "title", "title is empty" },
        { "empty solution", "solutions[0].body", "solution text is empty" },
        { "unknown category", "category", "no category 'nosuch'; create it first" },
        { "bad condition", "steps[0].rules[0].when", "" },
    };

    [Theory]
    [MemberData(nameof(Breakages))]
    public void Validate_BrokenRunbook_NamesTheFieldAndSaysWhat(string breakage, string path, string message)
    {
        var content = ServiceStart();
        switch (breakage)
        {
            case "unknown probe kind": content.Steps[0].Probe!.Kind = "redis.nonsense"; break;
            case "invalid parameter value": content.Steps[0].Probe!.Parameters["port"] = "eighty"; break;
            case "unknown parameter": content.Steps[0].Probe!.Parameters["colour"] = "blue"; break;
            case "missing required parameter": content.Steps[0].Probe!.Parameters.Remove("port"); break;
            case "unreachable step":
                content.Steps.Add(new RunbookStep { Id = "orphan", Kind = StepKind.Manual, Title = LocalizedText.Of("孤立", "Orphan") });
                break;
            case "rule pointing at nothing": content.Steps[0].Rules[0].Goto = "solution:nowhere"; break;
            case "next pointing at nothing": content.Steps[1].Next = "missing-step"; break;
            case "empty title": content.Title = LocalizedText.Of(" ", ""); break;
            case "empty solution": content.Solutions[0].Body = new LocalizedText(); break;
            case "unknown category": content.Category = "nosuch"; break;
            case "bad condition": content.Steps[0].Rules[0].When = "port.owner.pid >>> 3"; break;
        }

        var problems = Validator.Validate("service-start", content, Categories, [.. Guide.Select(r => r.Slug)]);

        var problem = Assert.Single(problems, p => p.Path == path);
        Assert.False(string.IsNullOrWhiteSpace(problem.Message));
        if (message.Length > 0)
        {
            Assert.Equal(message, problem.Message);
        }
    }

    [Theory]
    [InlineData("Bad Slug")]
    [InlineData("export")]
    [InlineData("")]
    public void Validate_BadOrReservedSlug_IsRefused(string slug) =>
        Assert.Contains(Validator.Validate(slug, ServiceStart(), Categories, null), p => p.Path == "slug");

    [Fact]
    public void Validate_PlaceholderParameter_IsNotCheckedAsAValueButItsNameIs()
    {
        var workflow = RunbookJson.Deserialize<RunbookContent>(RunbookJson.Serialize(Guide.Single(r => r.Slug == "workflow-failure").ToContent()));
        var step = workflow.Steps.First(s => s.Probe?.Parameters.Values.Any(v => v.Contains('{', StringComparison.Ordinal)) == true);
        var index = workflow.Steps.IndexOf(step);
        step.Probe!.Parameters["nonsense"] = "{workflow_id}";

        var problems = Validator.Validate("workflow-failure", workflow, Categories, null);

        Assert.Equal([$"steps[{index}].probe.parameters.nonsense"], problems.Select(p => p.Path));
    }
}
