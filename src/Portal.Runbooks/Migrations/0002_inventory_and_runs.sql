-- Target inventory (environments -> targets), probe runs and their events, Data Protection keys.

CREATE TABLE environments (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE targets (
    environment    text NOT NULL REFERENCES environments (name) ON DELETE CASCADE,
    name           text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    role           text NOT NULL CHECK (role ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    kind           text NOT NULL CHECK (kind IN ('host', 'postgres', 'redis', 'http', 'prometheus')),
    host           text,
    port           integer CHECK (port BETWEEN 1 AND 65535),
    base_url       text,
    database       text,
    username       text,
    -- Encrypted with ASP.NET Data Protection; never returned by the API.
    password_protected text,
    use_tls        boolean NOT NULL DEFAULT false,
    log_paths      text[] NOT NULL DEFAULT '{}',
    units          text[] NOT NULL DEFAULT '{}',
    allow_loopback boolean NOT NULL DEFAULT false,
    allow_private  boolean NOT NULL DEFAULT false,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (environment, name)
);

CREATE TABLE probe_runs (
    id              uuid PRIMARY KEY,
    kind            text NOT NULL,
    environment     text NOT NULL,
    target          text NOT NULL,
    -- Secret parameters are masked before they are stored.
    parameters      jsonb NOT NULL,
    requested_by    text NOT NULL,
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz,
    status          text NOT NULL CHECK (status IN ('running', 'pass', 'warn', 'fail', 'error', 'cancelled', 'timeout', 'interrupted')),
    summary         text NOT NULL DEFAULT '',
    findings        jsonb NOT NULL DEFAULT '{}',
    output_lines    integer NOT NULL DEFAULT 0,
    dropped_lines   integer NOT NULL DEFAULT 0
);

CREATE INDEX probe_runs_started ON probe_runs (started_at DESC);

CREATE TABLE probe_run_events (
    run_id  uuid NOT NULL REFERENCES probe_runs (id) ON DELETE CASCADE,
    seq     bigint NOT NULL,
    at      timestamptz NOT NULL,
    type    text NOT NULL,
    payload jsonb NOT NULL,
    PRIMARY KEY (run_id, seq)
);

CREATE TABLE data_protection_keys (
    id       text PRIMARY KEY,
    xml      text NOT NULL,
    added_at timestamptz NOT NULL DEFAULT now()
);
