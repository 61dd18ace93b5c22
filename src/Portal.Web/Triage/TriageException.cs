namespace Portal.Web.Triage;

/// <summary>Why a triage request was refused (nothing was started or recorded); <see cref="Field"/> names the field at fault.</summary>
public sealed class TriageException : Exception
{
    public TriageException()
    {
    }

    public TriageException(string message) : base(message)
    {
    }

    public TriageException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public TriageException(string field, string message, bool notFound = false, TimeSpan? retryAfter = null) : base(message)
    {
        Field = field;
        NotFound = notFound;
        RetryAfter = retryAfter;
    }

    public string Field { get; } = "";

    public bool NotFound { get; }

    /// <summary>Set when the user's probe-run rate limit refused the sweep.</summary>
    public TimeSpan? RetryAfter { get; }
}
