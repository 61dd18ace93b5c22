namespace Portal.Web.Incidents;

public enum IncidentErrorKind
{
    /// <summary>No such incident.</summary>
    NotFound,

    /// <summary>The request does not fit: unknown runbook, environment or step, a closed incident, a bad value.</summary>
    Invalid,

    /// <summary>The request is fine but clashes with what is happening (a probe of this incident is still running).</summary>
    Conflict,

    /// <summary>Someone else drives the walkthrough: only the driver runs steps, decides and advances.</summary>
    NotDriver,
}

/// <summary>
/// Why <see cref="WalkthroughService"/> refused a request; nothing was recorded. <see cref="Field"/> names the
/// request field at fault (for forms and RFC 7807 validation problems); the message says what to do.
/// </summary>
public sealed class IncidentException : Exception
{
    public IncidentException()
    {
    }

    public IncidentException(string message) : base(message)
    {
    }

    public IncidentException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public IncidentException(IncidentErrorKind kind, string field, string message) : base(message)
    {
        Kind = kind;
        Field = field;
    }

    public IncidentErrorKind Kind { get; } = IncidentErrorKind.Invalid;

    public string Field { get; } = string.Empty;

    internal static IncidentException Invalid(string field, string message) => new(IncidentErrorKind.Invalid, field, message);

    /// <summary>The driver when <see cref="Kind"/> is <see cref="IncidentErrorKind.NotDriver"/>.</summary>
    public string? Driver { get; init; }

    internal static IncidentException NotDriver(Guid id, string driver) => new(IncidentErrorKind.NotDriver, "driver",
        $"{driver} drives incident {id}; only the driver runs steps, decides and advances. Ask {driver} to hand over "
        + $"(POST /api/incidents/{id}/driver/request), or take control (POST /api/incidents/{id}/driver/take).")
    {
        Driver = driver,
    };

    internal static IncidentException NotFound(Guid id) => new(IncidentErrorKind.NotFound, "id", $"There is no incident {id}.");
}
