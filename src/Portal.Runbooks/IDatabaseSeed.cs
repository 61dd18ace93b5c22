namespace Portal.Runbooks;

/// <summary>
/// Start-up data that must exist once the schema is migrated (the guide's runbooks, the default
/// environment). Each is idempotent and never overwrites what people changed.
/// </summary>
public interface IDatabaseSeed
{
    Task SeedAsync(CancellationToken ct);
}
