namespace Portal.Web.Incidents;

/// <summary>One person looking at an incident page (any number of tabs count once).</summary>
/// <param name="CanDrive">Responder or above: may take control or be handed it.</param>
public sealed record IncidentViewer(string User, bool CanDrive, DateTimeOffset Since);

/// <summary>
/// Who is looking at which incident right now. The in-process implementation covers every circuit of one
/// portal instance; an implementation over Redis can replace it (register it before AddPortalIncidents)
/// to see viewers on other instances too. Callbacks run on the thread that joined or left and must not block.
/// </summary>
public interface IIncidentPresence
{
    /// <summary>Marks <paramref name="user"/> as viewing <paramref name="incidentId"/> until the result is disposed.</summary>
    IDisposable Join(Guid incidentId, string user, bool canDrive);

    /// <summary>Everyone viewing the incident now, one entry per user, in the order they arrived.</summary>
    IReadOnlyList<IncidentViewer> Viewers(Guid incidentId);

    /// <summary>Calls <paramref name="changed"/> when someone joins or leaves the incident; dispose to stop.</summary>
    IDisposable Subscribe(Guid incidentId, Action changed);
}
