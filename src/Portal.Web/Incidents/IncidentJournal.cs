using System.Text.Json;

namespace Portal.Web.Incidents;

/// <summary>An incident event as journaled: its payload already JSON, so it replays exactly as it was decided.</summary>
internal sealed record JournaledEvent(string Type, JsonElement Payload)
{
    public static JournaledEvent From(NewIncidentEvent e) =>
        new(e.Type, JsonSerializer.SerializeToElement(e.Payload, e.Payload.GetType(), JsonSerializerOptions.Web));

    public NewIncidentEvent ToNew() => new(Type, Payload);
}

/// <summary>A walkthrough started while the database was down.</summary>
internal sealed record JournaledCreate(IncidentRecord Incident, string Actor, IReadOnlyList<JournaledEvent> Events);

/// <summary>A change decided while the database was down (against this instance's copy of the incident).</summary>
internal sealed record JournaledChange(
    Guid IncidentId, string Actor, IReadOnlyList<JournaledEvent> Events, string? Position,
    IReadOnlyDictionary<string, string>? Inputs, string? Status, Guid? UnlessRunFinished);

/// <summary>
/// This instance's copy of one incident: the record and timeline last read from the database and, once the
/// database is down, the changes made since (<see cref="Timeline"/> not null). Lock the instance to use it.
/// </summary>
internal sealed class Offline
{
    public IncidentRecord? Record { get; set; }

    /// <summary>The timeline as last read from the database.</summary>
    public IReadOnlyList<IncidentEvent>? DatabaseTimeline { get; set; }

    /// <summary>The timeline with changes the database does not have yet; null when there are none.</summary>
    public List<IncidentEvent>? Timeline { get; set; }

    /// <summary>Appends events with the next seqs and applies position, inputs and status, as the database would.</summary>
    public IReadOnlyList<long> Apply(string actor, IReadOnlyList<JournaledEvent> events, string? position,
        IReadOnlyDictionary<string, string>? inputs, string? status, DateTimeOffset at)
    {
        var record = Record!;
        var seqs = new List<long>(events.Count);
        foreach (var e in events)
        {
            var seq = record.LastSeq + seqs.Count + 1;
            Timeline!.Add(new IncidentEvent(seq, at, actor, e.Type, e.Payload));
            seqs.Add(seq);
        }

        var newStatus = status ?? record.Status;
        Record = record with
        {
            Position = position ?? record.Position,
            Inputs = inputs ?? record.Inputs,
            Status = newStatus,
            ClosedAt = newStatus == IncidentStatus.Open ? null : record.ClosedAt ?? at,
            LastSeq = seqs.Count > 0 ? seqs[^1] : record.LastSeq,
        };
        return seqs;
    }
}
