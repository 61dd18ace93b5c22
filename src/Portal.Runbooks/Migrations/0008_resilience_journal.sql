-- Degraded mode: keys of local-journal entries already replayed into this database. A replay inserts the
-- key in the same transaction as the write it replays, so a crash mid-replay never applies an entry twice.
CREATE TABLE journal_applied (
    key        uuid PRIMARY KEY,
    kind       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);

-- Which portal instance runs a probe, and when each instance was last seen alive: a run whose instance
-- stopped answering (killed, crashed) is marked interrupted without waiting an hour.
ALTER TABLE probe_runs ADD COLUMN instance_id uuid;

CREATE TABLE portal_instances (
    id         uuid PRIMARY KEY,
    started_at timestamptz NOT NULL DEFAULT now(),
    seen_at    timestamptz NOT NULL DEFAULT now()
);
