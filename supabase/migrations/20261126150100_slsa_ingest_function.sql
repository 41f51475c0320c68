-- The one way in: slsa_ingest_batch(batch jsonb). SECURITY DEFINER with a fixed, empty search_path
-- (every name is schema-qualified), so the ingest role needs EXECUTE on it and nothing else.
--
-- batch.op:
--   begin   {ingest_id, ledger, engine, to_commit}   -> {ingest_id, watermark}
--           opens an ingest_runs row; runs left 'running' for over an hour are marked failed.
--   upsert  {ingest_id, entries: [{entry, manifest_path, manifest_hash, git_commit}]}
--           -> {seen, inserted, updated, unchanged}
--           inserts new runs, updates runs whose entry differs, leaves identical runs untouched and
--           writes one audit row per insert or change. One call is one transaction: all or nothing.
--   finish  {ingest_id, status, error, entries_failed, watermark}  -> {ingest_id, status, watermark}
--           closes the ingest_runs row; moves the watermark only when status is 'succeeded'.
CREATE OR REPLACE FUNCTION public.slsa_ingest_batch(batch jsonb) RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
  v_op text := batch->>'op';
  v_id uuid;
  v_ledger text := coalesce(nullif(batch->>'ledger', ''), 'default');
  v_seen integer;
  v_inserted integer := 0;
  v_updated integer := 0;
  v_watermark text;
  v_status text;
BEGIN
  IF jsonb_typeof(batch) IS DISTINCT FROM 'object' THEN
    RAISE EXCEPTION 'batch must be a json object' USING ERRCODE = '22023';
  END IF;
  IF batch->>'ingest_id' IS NULL OR batch->>'ingest_id' !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
    RAISE EXCEPTION 'batch.ingest_id must be a uuid' USING ERRCODE = '22023';
  END IF;
  v_id := (batch->>'ingest_id')::uuid;

  IF v_op = 'begin' THEN
    UPDATE public.ingest_runs
       SET status = 'failed', ended_at = now(), error = 'interrupted: never finished'
     WHERE status = 'running' AND started_at < now() - interval '1 hour';
    INSERT INTO public.ingest_runs (id, engine, ledger, to_commit)
    VALUES (v_id, batch->>'engine', v_ledger, batch->>'to_commit')
    ON CONFLICT (id) DO NOTHING;
    SELECT w.git_commit INTO v_watermark FROM public.ingest_watermark w WHERE w.ledger = v_ledger;
    UPDATE public.ingest_runs SET from_commit = v_watermark WHERE id = v_id;
    RETURN jsonb_build_object('ingest_id', v_id, 'watermark', v_watermark);

  ELSIF v_op = 'upsert' THEN
    IF jsonb_typeof(batch->'entries') IS DISTINCT FROM 'array' THEN
      RAISE EXCEPTION 'batch.entries must be a json array' USING ERRCODE = '22023';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM public.ingest_runs r WHERE r.id = v_id AND r.status = 'running') THEN
      RAISE EXCEPTION 'ingest % is not running (begin it first)', v_id USING ERRCODE = '22023';
    END IF;
    -- Concurrent ingests take turns, so the old values in the audit log are the ones replaced.
    PERFORM pg_catalog.pg_advisory_xact_lock(7340290155);
    v_seen := jsonb_array_length(batch->'entries');
    IF EXISTS (
      SELECT 1 FROM jsonb_array_elements(batch->'entries') AS x(item)
       WHERE jsonb_typeof(x.item->'entry') IS DISTINCT FROM 'object'
          OR x.item->'entry'->>'tag' IS NULL
          OR x.item->'entry'->>'run_id' IS NULL
          OR x.item->>'manifest_path' IS NULL
          OR x.item->>'manifest_hash' IS NULL
    ) THEN
      RAISE EXCEPTION 'every item needs entry {tag, run_id, ...}, manifest_path and manifest_hash'
        USING ERRCODE = '22023';
    END IF;

    WITH input AS (
      SELECT i.entry, i.manifest_path, i.manifest_hash, i.git_commit
        FROM jsonb_to_recordset(batch->'entries')
             AS i(entry jsonb, manifest_path text, manifest_hash text, git_commit text)
    ),
    incoming AS (
      SELECT
        i.entry->>'tag' AS tag,
        (i.entry->>'run_id')::bigint AS run_id,
        i.entry->>'sha' AS sha,
        i.entry->>'artifact_url' AS artifact_url,
        i.entry->>'actor' AS actor,
        (i.entry->>'timestamp')::timestamptz AS ts,
        i.entry->>'status' AS status,
        i.entry->>'governance_flag' AS governance_flag,
        i.entry->>'release_url' AS release_url,
        i.entry->>'failure_reason' AS failure_reason,
        coalesce(i.entry->'governance_history', '[]'::jsonb) AS governance_history,
        i.entry->'provenance' AS provenance,
        i.entry->'validation' AS validation,
        i.entry->'metrics' AS metrics,
        i.entry->'validation'->>'status' AS validation_status,
        (i.entry->'validation'->>'validated_at')::timestamptz AS validated_at,
        CASE WHEN i.entry->'provenance'->>'digest' LIKE 'sha256:%'
             THEN substr(i.entry->'provenance'->>'digest', 8) END AS content_sha256,
        (i.entry->'metrics'->>'artifact_upload_latency_s')::double precision AS artifact_upload_latency_s,
        (i.entry->'metrics'->>'lock_wait_s')::double precision AS lock_wait_s,
        (i.entry->'metrics'->'notify'->>'attempts')::integer AS notify_attempts,
        (i.entry->'metrics'->'notify'->>'delivered')::integer AS notify_delivered,
        (i.entry->'metrics'->>'dispatch_token_expires_at')::timestamptz AS dispatch_token_expires_at,
        (i.entry->'metrics'->>'dispatch_token_rotated_at')::timestamptz AS dispatch_token_rotated_at,
        i.manifest_path,
        i.manifest_hash,
        i.git_commit,
        i.entry
      FROM input i
    ),
    old AS (
      SELECT r.tag, r.run_id, r.entry
        FROM public.slsa_runs r
        JOIN incoming n ON r.tag = n.tag AND r.run_id = n.run_id
    ),
    up AS (
      INSERT INTO public.slsa_runs AS r (
        tag, run_id, sha, artifact_url, actor, "timestamp", status, governance_flag, release_url,
        failure_reason, governance_history, provenance, validation, metrics, validation_status,
        validated_at, content_sha256, artifact_upload_latency_s, lock_wait_s, notify_attempts,
        notify_delivered, dispatch_token_expires_at, dispatch_token_rotated_at, manifest_path,
        manifest_hash, git_commit, ingested_at, first_ingested_at, entry)
      SELECT
        n.tag, n.run_id, n.sha, n.artifact_url, n.actor, n.ts, n.status, n.governance_flag,
        n.release_url, n.failure_reason, n.governance_history, n.provenance, n.validation, n.metrics,
        n.validation_status, n.validated_at, n.content_sha256, n.artifact_upload_latency_s,
        n.lock_wait_s, n.notify_attempts, n.notify_delivered, n.dispatch_token_expires_at,
        n.dispatch_token_rotated_at, n.manifest_path, n.manifest_hash, n.git_commit, now(), now(),
        n.entry
      FROM incoming n
      ON CONFLICT (tag, run_id) DO UPDATE SET
        sha = excluded.sha,
        artifact_url = excluded.artifact_url,
        actor = excluded.actor,
        "timestamp" = excluded."timestamp",
        status = excluded.status,
        governance_flag = excluded.governance_flag,
        release_url = excluded.release_url,
        failure_reason = excluded.failure_reason,
        governance_history = excluded.governance_history,
        provenance = excluded.provenance,
        validation = excluded.validation,
        metrics = excluded.metrics,
        validation_status = excluded.validation_status,
        validated_at = excluded.validated_at,
        content_sha256 = excluded.content_sha256,
        artifact_upload_latency_s = excluded.artifact_upload_latency_s,
        lock_wait_s = excluded.lock_wait_s,
        notify_attempts = excluded.notify_attempts,
        notify_delivered = excluded.notify_delivered,
        dispatch_token_expires_at = excluded.dispatch_token_expires_at,
        dispatch_token_rotated_at = excluded.dispatch_token_rotated_at,
        manifest_path = excluded.manifest_path,
        manifest_hash = excluded.manifest_hash,
        git_commit = excluded.git_commit,
        ingested_at = excluded.ingested_at,
        entry = excluded.entry
      WHERE r.entry IS DISTINCT FROM excluded.entry
      RETURNING r.tag, r.run_id, r.entry, r.manifest_path, r.git_commit
    ),
    audit AS (
      INSERT INTO public.provenance_audit_log (tag, run_id, action, ingest_id, manifest_path, git_commit, metadata)
      SELECT
        up.tag, up.run_id,
        CASE WHEN old.entry IS NULL THEN 'insert' ELSE 'update' END,
        v_id, up.manifest_path, up.git_commit,
        CASE WHEN old.entry IS NULL THEN
          jsonb_build_object('old', NULL::jsonb, 'new', up.entry, 'changed_fields', '[]'::jsonb)
        ELSE (
          SELECT jsonb_build_object(
                   'old', jsonb_object_agg(k.key, old.entry->k.key),
                   'new', jsonb_object_agg(k.key, up.entry->k.key),
                   'changed_fields', jsonb_agg(k.key ORDER BY k.key))
            FROM (SELECT jsonb_object_keys(old.entry) UNION SELECT jsonb_object_keys(up.entry)) AS k(key)
           WHERE (old.entry->k.key) IS DISTINCT FROM (up.entry->k.key)
        ) END
      FROM up LEFT JOIN old ON old.tag = up.tag AND old.run_id = up.run_id
      RETURNING action
    )
    SELECT count(*) FILTER (WHERE action = 'insert'), count(*) FILTER (WHERE action = 'update')
      INTO v_inserted, v_updated
      FROM audit;

    -- the latest bytes of each manifest file read (written only when its hash moved)
    INSERT INTO public.ledger_manifests AS m (path, manifest_hash, git_commit, updated_at)
    SELECT DISTINCT ON (x.manifest_path) x.manifest_path, x.manifest_hash, x.git_commit, now()
      FROM jsonb_to_recordset(batch->'entries') AS x(manifest_path text, manifest_hash text, git_commit text)
     ORDER BY x.manifest_path
    ON CONFLICT (path) DO UPDATE
       SET manifest_hash = excluded.manifest_hash, git_commit = excluded.git_commit, updated_at = excluded.updated_at
     WHERE m.manifest_hash IS DISTINCT FROM excluded.manifest_hash;

    UPDATE public.ingest_runs
       SET entries_seen = entries_seen + v_seen,
           entries_changed = entries_changed + v_inserted + v_updated
     WHERE id = v_id;
    RETURN jsonb_build_object('seen', v_seen, 'inserted', v_inserted, 'updated', v_updated,
                              'unchanged', v_seen - v_inserted - v_updated);

  ELSIF v_op = 'finish' THEN
    v_status := coalesce(batch->>'status', 'succeeded');
    IF v_status NOT IN ('succeeded', 'failed') THEN
      RAISE EXCEPTION 'batch.status must be succeeded or failed' USING ERRCODE = '22023';
    END IF;
    UPDATE public.ingest_runs
       SET status = v_status,
           ended_at = now(),
           error = left(batch->>'error', 2000),
           entries_failed = entries_failed + coalesce((batch->>'entries_failed')::integer, 0),
           to_commit = coalesce(batch->>'watermark', to_commit)
     WHERE id = v_id AND status = 'running'
    RETURNING ledger INTO v_ledger;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'ingest % is not running', v_id USING ERRCODE = '22023';
    END IF;
    IF v_status = 'succeeded' AND batch->>'watermark' IS NOT NULL THEN
      INSERT INTO public.ingest_watermark (ledger, git_commit, ingest_id, updated_at)
      VALUES (v_ledger, batch->>'watermark', v_id, now())
      ON CONFLICT (ledger) DO UPDATE
        SET git_commit = excluded.git_commit, ingest_id = excluded.ingest_id, updated_at = excluded.updated_at
        WHERE public.ingest_watermark.git_commit IS DISTINCT FROM excluded.git_commit;
    END IF;
    SELECT w.git_commit INTO v_watermark FROM public.ingest_watermark w WHERE w.ledger = v_ledger;
    RETURN jsonb_build_object('ingest_id', v_id, 'status', v_status, 'watermark', v_watermark);
  END IF;

  RAISE EXCEPTION 'batch.op must be begin, upsert or finish, got %', coalesce(v_op, 'nothing')
    USING ERRCODE = '22023';
END
$$;
