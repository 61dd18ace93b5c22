using Portal.Web.Auth;
using Portal.Web.Incidents;
using Portal.Web.Runs;

namespace Portal.Web.Resilience;

/// <summary>
/// Replays the local journal into the database, in the order it was written. Each entry is applied in a
/// transaction that also records its key (journal_applied), so an entry applied before a crash is skipped
/// the next time: exactly once.
/// </summary>
public sealed class JournalReplayer(
    DegradedJournal journal, AuditLog audit, RunStore runs, IncidentStore incidents, ILogger<JournalReplayer> logger)
{
    public async Task<int> ReplayAsync(CancellationToken ct)
    {
        var count = await journal.DrainAsync(ApplyAsync, ct);
        incidents.ForgetOffline();
        if (count > 0)
        {
            logger.LogWarning("Replayed {Count} journaled writes into the database", count);
        }

        return count;
    }

    private async Task ApplyAsync(JournalEntry entry, CancellationToken ct)
    {
        switch (entry.Kind)
        {
            case AuditLog.JournalKind:
                await audit.ReplayAsync(entry, ct);
                break;
            case RunStore.InsertKind or RunStore.EventsKind or RunStore.FinishKind:
                await runs.ReplayAsync(entry, ct);
                break;
            case IncidentStore.CreateKind or IncidentStore.ChangeKind:
                await incidents.ReplayAsync(entry, ct);
                break;
            default:
                logger.LogError("Journal entry {Key} of unknown kind {Kind} skipped", entry.Key, entry.Kind);
                break;
        }
    }
}
