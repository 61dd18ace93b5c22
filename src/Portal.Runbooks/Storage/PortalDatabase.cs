namespace Portal.Runbooks.Storage;

/// <summary>The portal's own PostgreSQL connection string, for the few tools that need it whole (DbUp).</summary>
public sealed record PortalDatabase(string ConnectionString)
{
    public override string ToString() => "PortalDatabase { ConnectionString = *** }";
}
