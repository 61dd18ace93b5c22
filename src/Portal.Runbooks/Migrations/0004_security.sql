-- Users, API tokens and the audit log. (0003 is the incidents schema.)

CREATE TABLE users (
    username      text PRIMARY KEY CHECK (username ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    display_name  text NOT NULL DEFAULT '',
    -- ASP.NET Core PasswordHasher (PBKDF2); never the password itself.
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('viewer', 'responder', 'editor', 'admin')),
    failed_count  integer NOT NULL DEFAULT 0,
    locked_until  timestamptz,
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_tokens (
    id           uuid PRIMARY KEY,
    username     text NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    name         text NOT NULL DEFAULT '',
    -- SHA-256 of the token; the token itself is shown once, to whoever asked for it.
    token_hash   text NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    last_used_at timestamptz
);

CREATE TABLE audit_log (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT now(),
    actor   text NOT NULL,
    source  text NOT NULL DEFAULT '',
    action  text NOT NULL,
    target  text NOT NULL DEFAULT '',
    outcome text NOT NULL,
    details jsonb NOT NULL DEFAULT '{}'
);

CREATE INDEX audit_log_at ON audit_log (at DESC);
CREATE INDEX audit_log_actor ON audit_log (actor, at DESC);

-- The record of who did what cannot be edited or erased, not even by the portal itself.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'P0001';
END;
$$;

CREATE TRIGGER audit_log_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
