-- Triage: sweeps over an environment (recorded like runs) and per-environment sweep definitions.

CREATE TABLE triage_sweeps (
    id           uuid PRIMARY KEY,
    environment  text NOT NULL,
    requested_by text NOT NULL,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    status       text NOT NULL CHECK (status IN ('running', 'done', 'interrupted')),
    -- [{target, role, probe, runId|null, error|null}]: one cell of the target-by-check matrix each.
    cells        jsonb NOT NULL DEFAULT '[]',
    -- The ranked suggestions as they stood when the sweep finished (runbooks may change later).
    suggestions  jsonb NOT NULL DEFAULT '[]'
);

CREATE INDEX triage_sweeps_started ON triage_sweeps (started_at DESC);

-- Which probes a sweep runs on which targets; an environment without a row uses the built-in defaults.
CREATE TABLE triage_definitions (
    environment text PRIMARY KEY REFERENCES environments (name) ON DELETE CASCADE,
    definition  jsonb NOT NULL,
    updated_by  text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
