using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Portal.Probes;
using Portal.Probes.Contract;
using Portal.Runbooks.Model;
using Portal.Runbooks.Seed;

namespace Portal.IntegrationTests;

/// <summary>Every probe step of the seeded guide names a probe that exists, with parameters it accepts.</summary>
public sealed partial class SeedProbeStepsTests
{
    private static readonly ProbeCatalog Catalog = new ServiceCollection().AddProbes().BuildServiceProvider().GetRequiredService<ProbeCatalog>();

    public static TheoryData<string, string> ProbeSteps
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var runbook in GuideSeeder.LoadRunbooks())
            {
                foreach (var step in runbook.Steps.Where(s => s.Kind == StepKind.Probe))
                {
                    data.Add(runbook.Slug, step.Id);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(ProbeSteps))]
    public void ProbeStep_NamesAKnownProbeWithValidParametersForItsTargetRole(string slug, string stepId)
    {
        var step = GuideSeeder.LoadRunbooks().Single(r => r.Slug == slug).Steps.Single(s => s.Id == stepId);

        var probe = Catalog.Find(step.Probe!.Kind);

        Assert.True(probe is not null, $"{slug}/{stepId}: no probe '{step.Probe.Kind}'");
        // "{workflow_id}" stands for an earlier input step's value; any valid id will do here.
        var values = step.Probe.Parameters.ToDictionary(p => p.Key, p => (string?)Placeholder().Replace(p.Value, "wf-42"));
        var validation = ParameterValidator.Validate(probe.Descriptor, values);
        Assert.True(validation.IsValid, $"{slug}/{stepId}: {string.Join("; ", validation.Errors.Values)}");
    }

    [GeneratedRegex(@"\{[a-z_]+\}")]
    private static partial Regex Placeholder();
}
