using Microsoft.Extensions.Logging.Abstractions;
using Portal.Web.Components.Walkthrough;
using Portal.Web.Incidents;

namespace Portal.Web.Tests.Walkthrough;

/// <summary>Who is viewing, who drives, and the hand-over buttons each person sees; the in-process presence.</summary>
public sealed class IncidentDriverBarTests : PortalTestContext
{
    private static readonly DateTimeOffset At = DateTimeOffset.UnixEpoch;

    private static IReadOnlyList<IncidentViewer> Viewers(params (string User, bool CanDrive)[] viewers) =>
        [.. viewers.Select((v, n) => new IncidentViewer(v.User, v.CanDrive, At.AddSeconds(n)))];

    [Fact]
    public void Driver_SeesEveryoneARequestToHandOverAndCandidates_NoTakeButton()
    {
        UseCulture("en");
        string? handedTo = null;

        var cut = Render<IncidentDriverBar>(p => p
            .Add(c => c.Viewers, Viewers(("alice", true), ("bob", true), ("carol", true), ("vic", false)))
            .Add(c => c.Driver, "alice").Add(c => c.Me, "alice").Add(c => c.CanDrive, true)
            .Add(c => c.Requests, ["bob"]).Add(c => c.OnHandOver, (string to) => handedTo = to));

        Assert.Equal(["alice", "bob", "carol", "vic"], cut.FindAll("[data-testid=incident-viewer]").Select(v => v.GetAttribute("data-user")));
        Assert.Equal("true", cut.Find("[data-testid=incident-viewer][data-user=alice]").GetAttribute("data-driving"));
        Assert.Contains("(you)", cut.Find("[data-testid=incident-viewer][data-user=alice]").TextContent, StringComparison.Ordinal);
        Assert.Contains("You are driving", cut.Find("[data-testid=incident-driver]").TextContent, StringComparison.Ordinal);
        Assert.Contains("bob asks to drive", cut.Find("[data-testid=incident-driver-request]").TextContent, StringComparison.Ordinal);
        // bob has his own button; carol may drive; vic (viewer role) may not be handed the walkthrough.
        Assert.Equal(["carol"], cut.FindAll("[data-testid=incident-handover]").Select(b => b.GetAttribute("data-user")));
        Assert.Empty(cut.FindAll("[data-testid=incident-take-control]"));

        cut.Find("button[data-testid=incident-handover-to]").Click();
        Assert.Equal("bob", handedTo);
    }

    [Fact]
    public void Responder_NotDriving_MayAskOrTake_AndSeesTheRequestIsPending()
    {
        UseCulture("zh-CN");
        var asked = 0;
        var took = 0;

        var cut = Render<IncidentDriverBar>(p => p
            .Add(c => c.Viewers, Viewers(("alice", true), ("bob", true)))
            .Add(c => c.Driver, "alice").Add(c => c.Me, "bob").Add(c => c.CanDrive, true)
            .Add(c => c.OnRequest, () => asked++).Add(c => c.OnTake, () => took++));

        Assert.Contains("alice 正在主导", cut.Find("[data-testid=incident-driver]").TextContent, StringComparison.Ordinal);
        cut.Find("button[data-testid=incident-request-control]").Click();
        cut.Find("button[data-testid=incident-take-control]").Click();
        Assert.Equal((1, 1), (asked, took));
        Assert.Empty(cut.FindAll("[data-testid=incident-handover]"));

        cut.Render(p => p.Add(c => c.Requests, ["bob"]));
        Assert.Empty(cut.FindAll("[data-testid=incident-request-control]"));
        Assert.Contains("alice", cut.Find("[data-testid=incident-driver-requested]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void ViewerRole_OrClosedIncident_NoControlButtons()
    {
        UseCulture("en");

        var viewer = Render<IncidentDriverBar>(p => p
            .Add(c => c.Viewers, Viewers(("alice", true), ("vic", false))).Add(c => c.Driver, "alice").Add(c => c.Me, "vic"));
        var closed = Render<IncidentDriverBar>(p => p
            .Add(c => c.Viewers, Viewers(("bob", true))).Add(c => c.Driver, "alice").Add(c => c.Me, "bob")
            .Add(c => c.CanDrive, true).Add(c => c.IsOpen, false));

        Assert.Empty(viewer.FindAll("button"));
        Assert.Contains("alice is driving", viewer.Find("[data-testid=incident-driver]").TextContent, StringComparison.Ordinal);
        Assert.Empty(closed.FindAll("button"));
        Assert.Empty(closed.FindAll("[data-testid=incident-driver]"));
    }

    [Fact]
    public void LocalPresence_TabsOfOneUserCountOnce_LeavingNotifies_OtherIncidentsUnaffected()
    {
        var presence = new LocalIncidentPresence(TimeProvider.System, NullLogger<LocalIncidentPresence>.Instance);
        var incident = Guid.NewGuid();
        var other = Guid.NewGuid();
        var notices = 0;
        using var subscription = presence.Subscribe(incident, () => notices++);

        var aliceTab1 = presence.Join(incident, "alice", canDrive: true);
        var aliceTab2 = presence.Join(incident, "alice", canDrive: true);
        var bob = presence.Join(incident, "bob", canDrive: false);
        using var elsewhere = presence.Join(other, "carol", canDrive: true);

        Assert.Equal(["alice", "bob"], presence.Viewers(incident).Select(v => v.User));
        Assert.Equal(3, notices);

        aliceTab1.Dispose();
        Assert.Equal(["alice", "bob"], presence.Viewers(incident).Select(v => v.User));
        aliceTab2.Dispose();
        aliceTab2.Dispose(); // twice is once
        Assert.Equal(["bob"], presence.Viewers(incident).Select(v => v.User));
        Assert.False(presence.Viewers(incident)[0].CanDrive);
        bob.Dispose();

        Assert.Empty(presence.Viewers(incident));
        Assert.Equal(6, notices);
        Assert.Equal(["carol"], presence.Viewers(other).Select(v => v.User));
    }
}
