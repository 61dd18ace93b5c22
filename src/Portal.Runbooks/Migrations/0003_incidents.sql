-- Incidents: one per walkthrough, with its append-only timeline.

CREATE TABLE incidents (
    id              uuid PRIMARY KEY,
    runbook_slug    text NOT NULL,
    -- The version the walkthrough started on; later edits of the runbook do not change it.
    runbook_version integer NOT NULL CHECK (runbook_version > 0),
    environment     text NOT NULL,
    title           text NOT NULL,
    status          text NOT NULL CHECK (status IN ('open', 'resolved', 'abandoned')),
    started_by      text NOT NULL,
    started_at      timestamptz NOT NULL,
    closed_at       timestamptz,
    -- Where the walkthrough is: a step id, "solution:{id}", or '' for the end of the runbook.
    position        text NOT NULL DEFAULT '',
    -- Input values given so far, by input name.
    inputs          jsonb NOT NULL DEFAULT '{}',
    -- The seq of the last timeline event; bumping it under the row lock orders appends.
    last_seq        bigint NOT NULL DEFAULT 0,
    CHECK ((status = 'open') = (closed_at IS NULL))
);

CREATE INDEX incidents_status_started ON incidents (status, started_at DESC);
CREATE INDEX incidents_started ON incidents (started_at DESC);

CREATE TABLE incident_events (
    incident_id uuid NOT NULL REFERENCES incidents (id),
    seq         bigint NOT NULL CHECK (seq > 0),
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    type        text NOT NULL CHECK (type IN ('started', 'step_entered', 'input', 'probe_started', 'probe_finished',
                                              'decision', 'recommendation', 'override', 'checklist', 'note',
                                              'resolved', 'abandoned')),
    payload     jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (incident_id, seq)
);

-- A run finishes once: the background watcher and the lazy check on read cannot both record it.
CREATE UNIQUE INDEX incident_events_one_finish_per_run
    ON incident_events (incident_id, (payload ->> 'runId')) WHERE type = 'probe_finished';

-- The timeline is a record: the database itself refuses to change or remove an event.
CREATE FUNCTION incident_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'incident events are append-only; add a new event instead'
        USING ERRCODE = 'P0001';
END;
$$;

CREATE TRIGGER incident_events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON incident_events
    FOR EACH ROW EXECUTE FUNCTION incident_events_append_only();

CREATE TRIGGER incident_events_no_truncate
    BEFORE TRUNCATE ON incident_events
    FOR EACH STATEMENT EXECUTE FUNCTION incident_events_append_only();
