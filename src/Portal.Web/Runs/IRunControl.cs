namespace Portal.Web.Runs;

/// <summary>Stopping a run from the UI; <see cref="ProbeRunner"/> in the portal.</summary>
public interface IRunControl
{
    /// <summary>Asks a run to stop; it records itself as cancelled. False when it is not running here.</summary>
    bool Cancel(Guid runId);
}
