-- Runbooks and their immutable versions.

CREATE TABLE categories (
    key        text PRIMARY KEY CHECK (key ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    position   integer NOT NULL DEFAULT 0,
    title      jsonb NOT NULL
);

CREATE TABLE runbooks (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    archived_at timestamptz
);

CREATE TABLE runbook_versions (
    runbook_id   bigint NOT NULL REFERENCES runbooks (id),
    version      integer NOT NULL CHECK (version > 0),
    content      jsonb NOT NULL,
    content_hash text NOT NULL,
    author       text NOT NULL,
    note         text NOT NULL DEFAULT '',
    source       text NOT NULL CHECK (source IN ('seed', 'user', 'import')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (runbook_id, version)
);

-- A version, once written, is history: the database itself refuses to change or remove it.
CREATE FUNCTION runbook_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'runbook versions are immutable; save a new version instead'
        USING ERRCODE = 'P0001';
END;
$$;

CREATE TRIGGER runbook_versions_no_update_or_delete
    BEFORE UPDATE OR DELETE ON runbook_versions
    FOR EACH ROW EXECUTE FUNCTION runbook_versions_immutable();
