-- The ingest function ran each entry's schema check four times and its clock check twice
-- (twenty-fourth session, `node bench/probe/ingest-costs.js`: 40,000 calls of slsa_entry_problem
-- and 20,000 of slsa_entry_clock_problem for 10,000 entries, ~170 of the ~335 µs of server CPU a run).
--
-- The `input` step (…20261205100000) read the checks' subquery `c` three times (the problem, the
-- clock's guard and the code) and the clock's lateral subquery `k` twice. PostgreSQL pulls a plain
-- subquery in FROM up into the query above it and then computes a pulled-up column wherever it is
-- referenced, so each reference ran the whole check again. Both subqueries now end in `OFFSET 0`,
-- which keeps a subquery whole (as the key lookup below already does): each check runs once per
-- entry, and its answer is read from the subquery's row. The function is as in …20261206020000
-- otherwise; every answer is the same.
CREATE OR REPLACE FUNCTION public.slsa_ingest_batch(batch jsonb) RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
  v_op text := batch->>'op';
  v_id uuid;
  v_repo text;
  v_to_commit text;
  v_seen integer;
  v_inserted integer := 0;
  v_updated integer := 0;
  v_restored integer := 0;
  v_failed jsonb;
  v_watermark text;
  v_status text;
  v_marked integer;
  v_missing jsonb;
  v_known text;
BEGIN
  IF jsonb_typeof(batch) IS DISTINCT FROM 'object' THEN
    RAISE EXCEPTION 'batch must be a json object' USING ERRCODE = '22023';
  END IF;
  IF batch->>'ingest_id' IS NULL OR batch->>'ingest_id' !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
    RAISE EXCEPTION 'batch.ingest_id must be a uuid' USING ERRCODE = '22023';
  END IF;
  v_id := (batch->>'ingest_id')::uuid;

  IF v_op = 'begin' THEN
    v_repo := coalesce(nullif(batch->>'repository', ''), nullif(batch->>'ledger', ''), 'default');
    IF v_repo !~ '^[A-Za-z0-9_.-]{1,100}(/[A-Za-z0-9_.-]{1,100})?$' THEN
      RAISE EXCEPTION 'batch.repository must be owner/name' USING ERRCODE = '22023';
    END IF;
    -- GitHub's names are case-insensitive: `Acme/Widgets` (an https remote) and `acme/widgets` (an ssh
    -- remote, or --ledger) are one repository. The spelling ingested first stays.
    SELECT w.ledger INTO v_known FROM public.ingest_watermark w
     WHERE lower(w.ledger) = lower(v_repo)
     ORDER BY w.ledger = v_repo DESC, w.updated_at, w.ledger COLLATE "C"
     LIMIT 1;
    v_repo := coalesce(v_known, v_repo);
    IF batch->>'to_commit' IS NOT NULL AND batch->>'to_commit' !~ '^([0-9a-f]{40}|[0-9a-f]{64})$' THEN
      RAISE EXCEPTION 'batch.to_commit must be a git commit id' USING ERRCODE = '22023';
    END IF;
    UPDATE public.ingest_runs
       SET status = 'failed', ended_at = now(), error = 'interrupted: never finished'
     WHERE status = 'running' AND started_at < now() - interval '1 hour';
    INSERT INTO public.ingest_runs (id, engine, ledger, to_commit, ledger_url)
    VALUES (v_id, left(batch->>'engine', 20), v_repo, batch->>'to_commit',
            CASE WHEN batch->>'ledger_url' ~ '^https://[^\s@]+$' AND char_length(batch->>'ledger_url') <= 2000 THEN batch->>'ledger_url' END)
    ON CONFLICT (id) DO NOTHING;
    -- the repository is known from its first ingest on (its watermark comes with the first success)
    INSERT INTO public.ingest_watermark AS w (ledger, git_commit, updated_at, ledger_url)
    SELECT v_repo, NULL, now(), r.ledger_url FROM public.ingest_runs r WHERE r.id = v_id
    ON CONFLICT (ledger) DO UPDATE SET ledger_url = excluded.ledger_url
     WHERE excluded.ledger_url IS NOT NULL AND w.ledger_url IS DISTINCT FROM excluded.ledger_url;
    SELECT w.git_commit INTO v_watermark FROM public.ingest_watermark w WHERE w.ledger = v_repo;
    UPDATE public.ingest_runs SET from_commit = v_watermark WHERE id = v_id;
    RETURN jsonb_build_object('ingest_id', v_id, 'watermark', v_watermark, 'repository', v_repo);
  END IF;

  SELECT r.ledger, r.to_commit INTO v_repo, v_to_commit
    FROM public.ingest_runs r WHERE r.id = v_id AND r.status = 'running';
  IF NOT FOUND THEN
    RAISE EXCEPTION 'ingest % is not running (begin it first)', v_id USING ERRCODE = '22023';
  END IF;

  IF v_op = 'upsert' THEN
    IF jsonb_typeof(batch->'entries') IS DISTINCT FROM 'array' THEN
      RAISE EXCEPTION 'batch.entries must be a json array' USING ERRCODE = '22023';
    END IF;
    -- Concurrent ingests take turns, so the old values in the audit log are the ones replaced.
    PERFORM pg_catalog.pg_advisory_xact_lock(734029017, pg_catalog.hashtext(v_repo));
    v_seen := jsonb_array_length(batch->'entries');

    -- BASELINE UPSERT BEGIN (bench/database-org.js runs this statement over a staging table)
    WITH input AS MATERIALIZED (
      -- the item and schema checks, then the clock (only for an entry the schema accepts: its times
      -- are then real RFC 3339 UTC times)
      SELECT c.ord, c.item, coalesce(c.problem, k.clock) AS problem,
             CASE WHEN c.problem IS NULL AND k.clock IS NOT NULL THEN 'INGEST_TIMESTAMP_FUTURE' END AS code
        FROM (
      SELECT x.ord, x.item,
             CASE
               WHEN jsonb_typeof(x.item) IS DISTINCT FROM 'object' THEN 'an item must be {entry, manifest_path, manifest_hash, git_commit}'
               WHEN jsonb_typeof(x.item->'manifest_path') IS DISTINCT FROM 'string'
                 OR char_length(x.item->>'manifest_path') > 1000 OR (x.item->>'manifest_path') !~ '^[^\u0001-\u001f]*[0-9]{4}-[0-9]{2}-[0-9]{2}/manifest\.json$'
                 THEN 'manifest_path must be the path of a day file'
               WHEN jsonb_typeof(x.item->'manifest_hash') IS DISTINCT FROM 'string' OR NOT (octet_length(x.item->>'manifest_hash') = 64 AND (x.item->>'manifest_hash') ~ '^[0-9a-f]+$')
                 THEN 'manifest_hash must be 64 lower-case hex digits'
               WHEN (x.item->>'git_commit') IS DISTINCT FROM v_to_commit
                 THEN 'git_commit must be the commit this ingest declared'
               WHEN x.item ? 'signature_status' AND jsonb_typeof(x.item->'signature_status') <> 'null'
                    AND (x.item->>'signature_status') NOT IN ('verified', 'unsigned', 'invalid', 'untrusted', 'unverified')
                 THEN 'signature_status must be verified, unsigned, invalid, untrusted or unverified'
               ELSE public.slsa_entry_problem(x.item->'entry')
             END AS problem
        FROM jsonb_array_elements(batch->'entries') WITH ORDINALITY AS x(item, ord)
        -- OFFSET 0: a subquery pulled up would compute `problem` again at each of its three uses
        OFFSET 0) c
        -- CASE, not a WHERE: an entry the schema refused is never handed to the clock check; OFFSET 0
        -- keeps the clock computed once, not at each of its two uses
        CROSS JOIN LATERAL (SELECT CASE WHEN c.problem IS NULL THEN public.slsa_entry_clock_problem(c.item->'entry') END AS clock
                              OFFSET 0) k
    ),
    failures AS (
      INSERT INTO public.ingest_entry_failures (ingest_id, repository, tag, run_id, manifest_path, reason)
      SELECT v_id, v_repo, left(i.item->'entry'->>'tag', 300), left(i.item->'entry'->>'run_id', 40),
             left(i.item->>'manifest_path', 1000), i.problem
        FROM input i WHERE i.problem IS NOT NULL
      RETURNING 1
    ),
    -- the latest bytes of each manifest file read (written only when its hash moved)
    manifests AS (
      INSERT INTO public.ledger_manifests AS m (repository, path, manifest_hash, git_commit, updated_at)
      SELECT DISTINCT ON (i.item->>'manifest_path') v_repo, i.item->>'manifest_path', i.item->>'manifest_hash',
             i.item->>'git_commit', now()
        FROM input i
       -- the item's own checks of its file and hash (as in `input`): a path or hash it refuses is no file read
       WHERE jsonb_typeof(i.item) = 'object'
         AND jsonb_typeof(i.item->'manifest_hash') = 'string' AND octet_length(i.item->>'manifest_hash') = 64
         AND (i.item->>'manifest_hash') ~ '^[0-9a-f]+$'
         AND jsonb_typeof(i.item->'manifest_path') = 'string' AND char_length(i.item->>'manifest_path') <= 1000
         AND (i.item->>'manifest_path') ~ '^[^\u0001-\u001f]*[0-9]{4}-[0-9]{2}-[0-9]{2}/manifest\.json$'
         AND (i.item->>'git_commit') IS NOT DISTINCT FROM v_to_commit
       ORDER BY i.item->>'manifest_path'
      ON CONFLICT (repository, path) DO UPDATE
         SET manifest_hash = excluded.manifest_hash, git_commit = excluded.git_commit, updated_at = excluded.updated_at
       WHERE m.manifest_hash IS DISTINCT FROM excluded.manifest_hash
      RETURNING 1
    ),
    -- the last copy of a key wins (an ON CONFLICT statement may touch a row once)
    valid AS (
      SELECT DISTINCT ON (i.item->'entry'->>'tag', (i.item->'entry'->>'run_id')::numeric) i.item
        FROM input i WHERE i.problem IS NULL
       ORDER BY i.item->'entry'->>'tag', (i.item->'entry'->>'run_id')::numeric, i.ord DESC
    ),
    shaped AS (
      SELECT
        v_repo AS repository,
        v.item->'entry'->>'tag' AS tag,
        (v.item->'entry'->'run_id')::numeric::bigint AS run_id,
        v.item->'entry'->>'sha' AS sha,
        v.item->'entry'->>'artifact_url' AS artifact_url,
        v.item->'entry'->>'actor' AS actor,
        public.slsa_utc_time(v.item->'entry'->>'timestamp') AS ts,
        v.item->'entry'->>'status' AS status,
        v.item->'entry'->>'governance_flag' AS governance_flag,
        v.item->'entry'->>'release_url' AS release_url,
        v.item->'entry'->>'failure_reason' AS failure_reason,
        coalesce(v.item->'entry'->'governance_history', '[]'::jsonb) AS governance_history,
        v.item->'entry'->'provenance' AS provenance,
        v.item->'entry'->'validation' AS validation,
        v.item->'entry'->'metrics' AS metrics,
        v.item->'entry'->'validation'->>'status' AS validation_status,
        public.slsa_utc_time(v.item->'entry'->'validation'->>'validated_at') AS validated_at,
        CASE WHEN v.item->'entry'->'provenance'->>'digest' LIKE 'sha256:%'
             THEN substr(v.item->'entry'->'provenance'->>'digest', 8) END AS content_sha256,
        (v.item->'entry'->'metrics'->>'artifact_upload_latency_s')::double precision AS artifact_upload_latency_s,
        (v.item->'entry'->'metrics'->>'lock_wait_s')::double precision AS lock_wait_s,
        (v.item->'entry'->'metrics'->'notify'->'attempts')::numeric::integer AS notify_attempts,
        (v.item->'entry'->'metrics'->'notify'->'delivered')::numeric::integer AS notify_delivered,
        (v.item->'entry'->'metrics'->'notify'->>'latency_s')::double precision AS notify_latency_s,
        public.slsa_utc_time(v.item->'entry'->'metrics'->>'dispatch_token_expires_at') AS dispatch_token_expires_at,
        public.slsa_utc_time(v.item->'entry'->'metrics'->>'dispatch_token_rotated_at') AS dispatch_token_rotated_at,
        coalesce(v.item->>'signature_status', 'unverified') AS signature_status,
        v.item->>'manifest_path' AS manifest_path,
        v.item->>'manifest_hash' AS manifest_hash,
        v.item->>'git_commit' AS git_commit,
        v.item->'entry' AS entry
      FROM valid v
    ),
    -- each run's stored values beside the new ones (one index probe each): what changes is known
    -- before writing, so the audit rows need no join of the written rows back to the old ones
    incoming AS MATERIALIZED (
      SELECT n.*, r.tag IS NOT NULL AS existed, r.entry AS old_entry, r.signature_status AS old_signature_status,
             r.missing_since AS old_missing_since, r.manifest_path AS old_manifest_path, r.git_commit AS old_git_commit,
             (r.tag IS NULL OR r.entry IS DISTINCT FROM n.entry OR r.signature_status IS DISTINCT FROM n.signature_status
              OR r.missing_since IS NOT NULL) AS changed
        FROM shaped n
        -- one key lookup per entry, always: as a plain join, a repository the statistics do not know yet
        -- (estimated at one run) was read with the key's first column only and the rest as a join
        -- filter, every entry scanning every run of its repository (5,000 × 25,000 rows for the sixth
        -- batch of one ledger); OFFSET 0 keeps the lookup a subquery with all three columns as its key
        LEFT JOIN LATERAL (
          SELECT o.tag, o.entry, o.signature_status, o.missing_since, o.manifest_path, o.git_commit
            FROM public.slsa_runs o
           WHERE o.repository = n.repository AND o.tag = n.tag AND o.run_id = n.run_id
          OFFSET 0) r ON true
    ),
    -- New runs by a plain INSERT, changed ones by an UPDATE of the row read above. Writers of a
    -- repository take turns (the advisory lock), so a key the lookup did not find is not there: the
    -- per-row arbiter probe and speculative insertion of INSERT ... ON CONFLICT (~12% of a batch's
    -- CPU at a million runs) bought nothing. A row that still appeared (a direct write by the owner
    -- meanwhile) fails the statement on the key, never overwritten unseen.
    ins AS (
      INSERT INTO public.slsa_runs (
        repository, tag, run_id, sha, artifact_url, actor, "timestamp", status, governance_flag, release_url,
        failure_reason, governance_history, provenance, validation, metrics, validation_status,
        validated_at, content_sha256, artifact_upload_latency_s, lock_wait_s, notify_attempts,
        notify_delivered, notify_latency_s, dispatch_token_expires_at, dispatch_token_rotated_at,
        signature_status, manifest_path, manifest_hash, git_commit, ingested_at, first_ingested_at, entry)
      SELECT
        n.repository, n.tag, n.run_id, n.sha, n.artifact_url, n.actor, n.ts, n.status, n.governance_flag,
        n.release_url, n.failure_reason, n.governance_history, n.provenance, n.validation, n.metrics,
        n.validation_status, n.validated_at, n.content_sha256, n.artifact_upload_latency_s,
        n.lock_wait_s, n.notify_attempts, n.notify_delivered, n.notify_latency_s, n.dispatch_token_expires_at,
        n.dispatch_token_rotated_at, n.signature_status, n.manifest_path, n.manifest_hash, n.git_commit,
        now(), now(), n.entry
      FROM incoming n
      WHERE NOT n.existed
      RETURNING 1
    ),
    upd AS (
      UPDATE public.slsa_runs AS r SET
        sha = n.sha,
        artifact_url = n.artifact_url,
        actor = n.actor,
        "timestamp" = n.ts,
        status = n.status,
        governance_flag = n.governance_flag,
        release_url = n.release_url,
        failure_reason = n.failure_reason,
        governance_history = n.governance_history,
        provenance = n.provenance,
        validation = n.validation,
        metrics = n.metrics,
        validation_status = n.validation_status,
        validated_at = n.validated_at,
        content_sha256 = n.content_sha256,
        artifact_upload_latency_s = n.artifact_upload_latency_s,
        lock_wait_s = n.lock_wait_s,
        notify_attempts = n.notify_attempts,
        notify_delivered = n.notify_delivered,
        notify_latency_s = n.notify_latency_s,
        dispatch_token_expires_at = n.dispatch_token_expires_at,
        dispatch_token_rotated_at = n.dispatch_token_rotated_at,
        signature_status = n.signature_status,
        missing_since = NULL,
        manifest_path = CASE WHEN r.entry IS DISTINCT FROM n.entry THEN n.manifest_path ELSE r.manifest_path END,
        manifest_hash = CASE WHEN r.entry IS DISTINCT FROM n.entry THEN n.manifest_hash ELSE r.manifest_hash END,
        git_commit = CASE WHEN r.entry IS DISTINCT FROM n.entry THEN n.git_commit ELSE r.git_commit END,
        ingested_at = CASE WHEN r.entry IS DISTINCT FROM n.entry THEN now() ELSE r.ingested_at END,
        entry = n.entry
      FROM incoming n
      WHERE n.existed AND n.changed
        AND r.repository = n.repository AND r.tag = n.tag AND r.run_id = n.run_id
        AND (r.entry IS DISTINCT FROM n.entry
             OR r.signature_status IS DISTINCT FROM n.signature_status
             OR r.missing_since IS NOT NULL)
      RETURNING 1
    ),
    audit AS (
      INSERT INTO public.provenance_audit_log (repository, tag, run_id, action, ingest_id, manifest_path, git_commit, metadata)
      SELECT
        v_repo, n.tag, n.run_id,
        CASE WHEN NOT n.existed THEN 'insert'
             WHEN n.old_missing_since IS NOT NULL AND n.old_entry IS NOT DISTINCT FROM n.entry
                  AND n.old_signature_status IS NOT DISTINCT FROM n.signature_status THEN 'restored'
             ELSE 'update' END,
        v_id,
        CASE WHEN NOT n.existed OR n.old_entry IS DISTINCT FROM n.entry THEN n.manifest_path ELSE n.old_manifest_path END,
        CASE WHEN NOT n.existed OR n.old_entry IS DISTINCT FROM n.entry THEN n.git_commit ELSE n.old_git_commit END,
        CASE WHEN NOT n.existed THEN
          -- the entry is in the row and in git; its hash says which content was inserted
          jsonb_build_object('old', NULL::jsonb, 'changed_fields', '[]'::jsonb,
                             'entry_sha256', pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(n.entry::text, 'UTF8')), 'hex'),
                             'signature_status', n.signature_status)
        ELSE (
          SELECT jsonb_build_object(
                   'old', coalesce(jsonb_object_agg(k.key, n.old_entry->k.key) FILTER (WHERE k.key IS NOT NULL), '{}'::jsonb)
                          || CASE WHEN n.old_signature_status IS DISTINCT FROM n.signature_status
                                  THEN jsonb_build_object('signature_status', n.old_signature_status) ELSE '{}'::jsonb END,
                   'new', coalesce(jsonb_object_agg(k.key, n.entry->k.key) FILTER (WHERE k.key IS NOT NULL), '{}'::jsonb)
                          || CASE WHEN n.old_signature_status IS DISTINCT FROM n.signature_status
                                  THEN jsonb_build_object('signature_status', n.signature_status) ELSE '{}'::jsonb END,
                   'changed_fields', coalesce(jsonb_agg(k.key ORDER BY k.key) FILTER (WHERE k.key IS NOT NULL), '[]'::jsonb)
                          || CASE WHEN n.old_signature_status IS DISTINCT FROM n.signature_status
                                  THEN '["signature_status"]'::jsonb ELSE '[]'::jsonb END)
                 || CASE WHEN n.old_missing_since IS NOT NULL
                         THEN jsonb_build_object('missing_since', n.old_missing_since) ELSE '{}'::jsonb END
            FROM (SELECT jsonb_object_keys(n.old_entry) UNION SELECT jsonb_object_keys(n.entry)) AS k(key)
           WHERE (n.old_entry->k.key) IS DISTINCT FROM (n.entry->k.key)
        ) END
      FROM incoming n
      WHERE n.changed
      RETURNING action
    ),
    counted AS (
      SELECT count(*) FILTER (WHERE action = 'insert') AS ins,
             count(*) FILTER (WHERE action = 'update') AS upd,
             count(*) FILTER (WHERE action = 'restored') AS res
        FROM audit
    )
    SELECT c.ins, c.upd, c.res,
           coalesce((SELECT jsonb_agg(jsonb_build_object('index', i.ord - 1, 'tag', left(i.item->'entry'->>'tag', 300),
                                                         'run_id', left(i.item->'entry'->>'run_id', 40),
                                                         'manifest_path', left(i.item->>'manifest_path', 1000),
                                                         'reason', i.problem)
                                      || CASE WHEN i.code IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('code', i.code) END
                                      ORDER BY i.ord)
                       FROM input i WHERE i.problem IS NOT NULL), '[]'::jsonb)
      INTO v_inserted, v_updated, v_restored, v_failed
      FROM counted c, (SELECT count(*) FROM failures) f, (SELECT count(*) FROM ins) w, (SELECT count(*) FROM upd) u;
    -- BASELINE UPSERT END

    UPDATE public.ingest_runs
       SET entries_seen = entries_seen + v_seen,
           entries_changed = entries_changed + v_inserted + v_updated + v_restored,
           entries_refused = entries_refused + jsonb_array_length(v_failed),
           entries_failed = entries_failed + jsonb_array_length(v_failed)
     WHERE id = v_id;
    RETURN jsonb_build_object('seen', v_seen, 'inserted', v_inserted, 'updated', v_updated,
                              'restored', v_restored,
                              'unchanged', v_seen - v_inserted - v_updated - v_restored - jsonb_array_length(v_failed),
                              'failed', v_failed);

  ELSIF v_op = 'reconcile' THEN
    IF jsonb_typeof(batch->'keys') IS DISTINCT FROM 'array' THEN
      RAISE EXCEPTION 'batch.keys must be a json array of [tag, run_id]' USING ERRCODE = '22023';
    END IF;
    PERFORM pg_catalog.pg_advisory_xact_lock(734029017, pg_catalog.hashtext(v_repo));
    WITH present AS (
      SELECT k.v->>0 AS tag, (k.v->>1)::numeric AS run_id
        FROM jsonb_array_elements(batch->'keys') AS k(v)
       WHERE jsonb_typeof(k.v) = 'array' AND jsonb_typeof(k.v->1) = 'number'
    ),
    gone AS (
      UPDATE public.slsa_runs r SET missing_since = now()
       WHERE r.repository = v_repo AND r.missing_since IS NULL
         AND NOT EXISTS (SELECT 1 FROM present p WHERE p.tag = r.tag AND p.run_id = r.run_id)
      RETURNING r.tag, r.run_id, r."timestamp", r.manifest_path, r.git_commit, r.entry
    ),
    audit AS (
      INSERT INTO public.provenance_audit_log (repository, tag, run_id, action, ingest_id, manifest_path, git_commit, metadata)
      SELECT v_repo, g.tag, g.run_id, 'missing', v_id, g.manifest_path, v_to_commit,
             jsonb_build_object('old', g.entry, 'new', NULL::jsonb, 'changed_fields', '[]'::jsonb,
                                'reason', 'not in the ledger at ' || coalesce(v_to_commit, 'the directory read'))
        FROM gone g
      RETURNING 1
    )
    SELECT count(*), coalesce(jsonb_agg(jsonb_build_object('tag', g.tag, 'run_id', g.run_id,
             'timestamp', to_char(g."timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
             ORDER BY g."timestamp", g.tag), '[]'::jsonb)
      INTO v_marked, v_missing
      FROM gone g, (SELECT count(*) FROM audit) a;
    UPDATE public.ingest_runs SET reconciled = true WHERE id = v_id;
    -- every run still marked (from this and earlier reconciles)
    SELECT coalesce(jsonb_agg(jsonb_build_object('tag', r.tag, 'run_id', r.run_id,
             'timestamp', to_char(r."timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
             'missing_since', to_char(r.missing_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
             ORDER BY r."timestamp", r.tag), '[]'::jsonb)
      INTO v_missing
      FROM public.slsa_runs r WHERE r.repository = v_repo AND r.missing_since IS NOT NULL;
    RETURN jsonb_build_object('marked', v_marked, 'missing', v_missing);

  ELSIF v_op = 'finish' THEN
    v_status := coalesce(batch->>'status', 'succeeded');
    IF v_status NOT IN ('succeeded', 'failed') THEN
      RAISE EXCEPTION 'batch.status must be succeeded or failed' USING ERRCODE = '22023';
    END IF;
    IF v_status = 'succeeded' AND batch->>'watermark' IS DISTINCT FROM v_to_commit
       AND batch->>'watermark' IS NOT NULL THEN
      RAISE EXCEPTION 'the watermark may move only to the commit this ingest declared and read'
        USING ERRCODE = '22023';
    END IF;
    UPDATE public.ingest_runs
       SET status = v_status,
           ended_at = now(),
           error = left(batch->>'error', 2000),
           alert = CASE WHEN batch->>'alert' ~ '^[a-z0-9-]{1,64}$' THEN batch->>'alert' END,
           entries_failed = entries_failed + CASE WHEN jsonb_typeof(batch->'entries_failed') = 'number'
             THEN least(greatest((batch->>'entries_failed')::numeric, 0), 1000000000)::integer ELSE 0 END
     WHERE id = v_id AND status = 'running';
    IF v_status = 'succeeded' AND batch->>'watermark' IS NOT NULL THEN
      INSERT INTO public.ingest_watermark (ledger, git_commit, ingest_id, updated_at, ledger_url)
      SELECT v_repo, v_to_commit, v_id, now(), r.ledger_url FROM public.ingest_runs r WHERE r.id = v_id
      ON CONFLICT (ledger) DO UPDATE
        SET git_commit = excluded.git_commit, ingest_id = excluded.ingest_id, updated_at = excluded.updated_at,
            ledger_url = coalesce(excluded.ledger_url, public.ingest_watermark.ledger_url),
            rewritten_at = NULL, rewritten_head = NULL
        WHERE public.ingest_watermark.git_commit IS DISTINCT FROM excluded.git_commit
           OR public.ingest_watermark.rewritten_at IS NOT NULL
           OR public.ingest_watermark.ledger_url IS DISTINCT FROM coalesce(excluded.ledger_url, public.ingest_watermark.ledger_url);
    END IF;
    IF batch->>'alert' = 'ledger-history-rewritten' THEN
      UPDATE public.ingest_watermark
         SET rewritten_at = coalesce(rewritten_at, now()),
             rewritten_head = CASE WHEN batch->>'head' ~ '^([0-9a-f]{40}|[0-9a-f]{64})$' THEN batch->>'head' END
       WHERE ledger = v_repo;
    END IF;
    SELECT w.git_commit INTO v_watermark FROM public.ingest_watermark w WHERE w.ledger = v_repo;
    RETURN jsonb_build_object('ingest_id', v_id, 'status', v_status, 'watermark', v_watermark);
  END IF;

  RAISE EXCEPTION 'batch.op must be begin, upsert, reconcile or finish, got %', coalesce(v_op, 'nothing')
    USING ERRCODE = '22023';
END
$$;

ALTER FUNCTION public.slsa_ingest_batch(jsonb) SET jit = off;
ALTER FUNCTION public.slsa_ingest_batch(jsonb) SET work_mem = '64MB';

REVOKE ALL ON FUNCTION public.slsa_ingest_batch(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.slsa_ingest_batch(jsonb) TO slsa_manifest_ingest;
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
      EXECUTE format('REVOKE ALL ON FUNCTION public.slsa_ingest_batch(jsonb) FROM %I', r);
    END IF;
  END LOOP;
END
$$;
