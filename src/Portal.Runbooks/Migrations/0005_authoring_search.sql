-- Runbook search: PostgreSQL full text plus pg_trgm, built so that a search over 10,000 runbooks
-- never has to read a runbook's large text back (p95 target 20 ms):
-- * tsv: every word of titles, symptoms, summary, steps and solutions in both languages, plus the
--   Chinese character bigrams of the text (Chinese has no spaces: "端口占用" is indexed as 端口 口占
--   占用 用). Queries use only & | and prefixes, which the GIN index answers exactly, without a recheck.
-- * runbook_search_words: every distinct Latin word, with a pg_trgm index, so a part of a word
--   ("axmemor") becomes the words that contain it ("maxmemory") before the full-text query runs
--   (the "unique words" pattern of the pg_trgm documentation).
-- * head: title and symptoms only, weighted, small enough to stay in the row: ranking reads it alone.
-- Self-contained: one row per runbook, kept current by triggers, so every writer (seed, editor,
-- import, benchmarks) is indexed the same way.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- "端口占用 error" -> "端口 口占 占用 用": bigrams of every run of Chinese characters plus its last character.
CREATE FUNCTION runbook_cjk_grams(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(string_agg(grams, ' '), '')
    FROM (
        SELECT (SELECT string_agg(substr(run, i, 2), ' ' ORDER BY i) FROM generate_series(1, length(run)) AS i) AS grams
        FROM regexp_matches(t, '[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+', 'g') AS m(parts), LATERAL (SELECT m.parts[1] AS run) AS r
    ) AS g
$$;

-- Every string a jsonpath selects from a runbook's content, joined by spaces.
CREATE FUNCTION runbook_texts(content jsonb, path jsonpath) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(string_agg(value #>> '{}', ' '), '') FROM jsonb_path_query(content, path) AS value
$$;

CREATE FUNCTION runbook_search_part(t text, weight "char") RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('simple', t || ' ' || runbook_cjk_grams(t)), weight)
$$;

CREATE TABLE runbook_search (
    runbook_id bigint PRIMARY KEY REFERENCES runbooks (id),
    slug       text NOT NULL,
    archived   boolean NOT NULL DEFAULT false,
    version    integer NOT NULL,
    title      jsonb NOT NULL,
    category   text NOT NULL,
    position   integer NOT NULL,
    head       tsvector NOT NULL,
    tsv        tsvector NOT NULL
);

CREATE INDEX runbook_search_tsv ON runbook_search USING gin (tsv);

CREATE TABLE runbook_search_words (
    word text PRIMARY KEY
);

CREATE INDEX runbook_search_words_trgm ON runbook_search_words USING gin (word gin_trgm_ops);

CREATE FUNCTION runbook_search_upsert(p_runbook_id bigint, p_version integer, p_content jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    a text := runbook_texts(p_content, '$.title.*');
    b text := runbook_texts(p_content, '$.symptoms[*].*');
    rest text := runbook_texts(p_content, '$.summary.*') || ' ' || runbook_texts(p_content, '$.steps[*].title.*')
              || ' ' || runbook_texts(p_content, '$.solutions[*].title.*')
              || ' ' || runbook_texts(p_content, '$.steps[*].body.*') || ' ' || runbook_texts(p_content, '$.steps[*].checklist[*].*')
              || ' ' || runbook_texts(p_content, '$.steps[*].command') || ' ' || runbook_texts(p_content, '$.steps[*].options[*].label.*')
              || ' ' || runbook_texts(p_content, '$.steps[*].rules[*].reason.*') || ' ' || runbook_texts(p_content, '$.solutions[*].body.*');
    alltext tsvector := runbook_search_part(a || ' ' || b || ' ' || rest, 'D');
BEGIN
    INSERT INTO runbook_search AS s (runbook_id, slug, archived, version, title, category, position, head, tsv)
    SELECT p_runbook_id, r.slug, r.archived_at IS NOT NULL, p_version, coalesce(p_content -> 'title', '{}'),
           coalesce(p_content ->> 'category', ''), coalesce((p_content ->> 'position')::integer, 0),
           runbook_search_part(a, 'A') || runbook_search_part(b, 'B'), strip(alltext)
    FROM runbooks r WHERE r.id = p_runbook_id
    ON CONFLICT (runbook_id) DO UPDATE
        SET version = excluded.version, title = excluded.title, category = excluded.category, position = excluded.position,
            head = excluded.head, tsv = excluded.tsv
        WHERE s.version < excluded.version;

    INSERT INTO runbook_search_words (word)
    SELECT lexeme FROM unnest(alltext) AS u
    WHERE lexeme ~ '^[a-z0-9][a-z0-9_.:/-]*$' AND length(lexeme) BETWEEN 3 AND 64
    ON CONFLICT DO NOTHING;
END;
$$;

CREATE FUNCTION runbook_search_index() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM runbook_search_upsert(NEW.runbook_id, NEW.version, NEW.content);
    RETURN NULL;
END;
$$;

CREATE TRIGGER runbook_versions_search
    AFTER INSERT ON runbook_versions
    FOR EACH ROW EXECUTE FUNCTION runbook_search_index();

CREATE FUNCTION runbook_search_archived() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE runbook_search SET archived = NEW.archived_at IS NOT NULL WHERE runbook_id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER runbooks_search_archived
    AFTER UPDATE OF archived_at ON runbooks
    FOR EACH ROW EXECUTE FUNCTION runbook_search_archived();

-- Index what is already there: each runbook's latest version.
SELECT runbook_search_upsert(v.runbook_id, v.version, v.content)
FROM (SELECT DISTINCT ON (runbook_id) runbook_id, version, content FROM runbook_versions ORDER BY runbook_id, version DESC) AS v;
