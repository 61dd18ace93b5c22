-- Runbook search: PostgreSQL full text (weighted: title > symptoms > step/solution titles > bodies)
-- plus pg_trgm for substrings inside Latin words ("maxmem" finds "maxmemory"). Chinese has no spaces,
-- so the text also carries its Chinese character bigrams (and each run's last character): a query
-- "端口占用" becomes the phrase '端口' <-> '口占' <-> '占用', a substring match that a GIN index answers.
-- Self-contained: one row per runbook, kept current by a trigger on runbook_versions, so every
-- writer (seed, editor, import, benchmarks) indexes the same way.

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
    version    integer NOT NULL,
    title      jsonb NOT NULL,
    category   text NOT NULL,
    position   integer NOT NULL,
    -- Lower-cased text of both languages, for pg_trgm substring matches.
    body       text NOT NULL,
    tsv        tsvector NOT NULL
);

CREATE INDEX runbook_search_tsv ON runbook_search USING gin (tsv);
CREATE INDEX runbook_search_body_trgm ON runbook_search USING gin (body gin_trgm_ops);

CREATE FUNCTION runbook_search_upsert(p_runbook_id bigint, p_version integer, p_content jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    a text := runbook_texts(p_content, '$.title.*');
    b text := runbook_texts(p_content, '$.symptoms[*].*');
    c text := runbook_texts(p_content, '$.summary.*') || ' ' || runbook_texts(p_content, '$.steps[*].title.*')
              || ' ' || runbook_texts(p_content, '$.solutions[*].title.*');
    d text := runbook_texts(p_content, '$.steps[*].body.*') || ' ' || runbook_texts(p_content, '$.steps[*].checklist[*].*')
              || ' ' || runbook_texts(p_content, '$.steps[*].command') || ' ' || runbook_texts(p_content, '$.steps[*].options[*].label.*')
              || ' ' || runbook_texts(p_content, '$.steps[*].rules[*].reason.*') || ' ' || runbook_texts(p_content, '$.solutions[*].body.*');
BEGIN
    INSERT INTO runbook_search AS s (runbook_id, version, title, category, position, body, tsv)
    VALUES (p_runbook_id, p_version, coalesce(p_content -> 'title', '{}'), coalesce(p_content ->> 'category', ''),
            coalesce((p_content ->> 'position')::integer, 0), lower(a || ' ' || b || ' ' || c || ' ' || d),
            runbook_search_part(a, 'A') || runbook_search_part(b, 'B') || runbook_search_part(c, 'C') || runbook_search_part(d, 'D'))
    ON CONFLICT (runbook_id) DO UPDATE
        SET version = excluded.version, title = excluded.title, category = excluded.category, position = excluded.position,
            body = excluded.body, tsv = excluded.tsv
        WHERE s.version < excluded.version;
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

-- Index what is already there: each runbook's latest version.
SELECT runbook_search_upsert(v.runbook_id, v.version, v.content)
FROM (SELECT DISTINCT ON (runbook_id) runbook_id, version, content FROM runbook_versions ORDER BY runbook_id, version DESC) AS v;
