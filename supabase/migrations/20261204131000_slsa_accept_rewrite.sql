-- `ingest --accept-rewrite COMMIT` (issue 14): a way forward for a ledger whose history holds a cut
-- signed log.
--
-- A first (or `--full`) ingest replays the ledger's whole first-parent history and refuses
-- (INGEST_HISTORY_REWRITTEN) when a commit cut, rewrote or removed a signed log. That commit stays in
-- history (the ledger ruleset forbids force-pushes), so the repository could never be ingested
-- again. Whoever holds the ingest key may now acknowledge the rewrites the replay reported, by the
-- commit that made them; the acknowledgement is never silent:
--
-- * `ingest_runs.accepted_rewrites`: what this ingest accepted (`[{commit, path, message, head,
--   accepted_at, by}]`). Later ingests of the repository read them back (a later `--full` replay
--   does not need them named again, and the runs of those days are never stored `verified`); they
--   follow a rename with the ingest rows;
-- * `provenance_audit_log`: one row per run of a day whose log was rewritten, action
--   `rewrite-accepted`, `git_commit` the commit that rewrote it, metadata the commit, the log, the
--   replay's message, the head read and the database user;
-- * `ingest_watermark.rewrite_accepted_at` / `rewrite_accepted_commits` (the `provenance_repositories`
--   view): the repository's row says a rewrite of its history was accepted, and when, for good.
--
-- All through `slsa_ingest_rewrites(batch)`, which the ingest role may call (like the ingest
-- function: it never updates or deletes a run, and only for the repository of a running ingest):
--   list    {op, ingest_id}                               -> {repository, accepted: [{commit, path}]}
--   accept  {op, ingest_id, head, rewrites, runs}          -> {repository, accepted, audit_rows}

ALTER TABLE public.ingest_runs ADD COLUMN IF NOT EXISTS accepted_rewrites jsonb;
CREATE INDEX IF NOT EXISTS ingest_runs_accepted_rewrites_idx
  ON public.ingest_runs (ledger) WHERE accepted_rewrites IS NOT NULL;
ALTER TABLE public.ingest_watermark ADD COLUMN IF NOT EXISTS rewrite_accepted_at timestamptz;
ALTER TABLE public.ingest_watermark ADD COLUMN IF NOT EXISTS rewrite_accepted_commits text[];

ALTER TABLE public.provenance_audit_log DROP CONSTRAINT IF EXISTS provenance_audit_log_action_check;
-- NOT VALID: every existing row holds one of the earlier actions; new rows are checked
ALTER TABLE public.provenance_audit_log ADD CONSTRAINT provenance_audit_log_action_check
  CHECK (action IN ('insert', 'update', 'missing', 'restored', 'renamed', 'rewrite-accepted')) NOT VALID;

-- the repositories' view and the ingests' view say what was accepted (columns appended: the views'
-- earlier columns and their readers stay as they were)
CREATE OR REPLACE VIEW public.provenance_repositories AS
SELECT w.ledger AS repository, w.git_commit AS watermark, w.updated_at, w.ledger_url, w.rewritten_at,
       w.rewritten_head, w.rewrite_accepted_at, w.rewrite_accepted_commits
  FROM public.ingest_watermark w;

CREATE OR REPLACE VIEW public.provenance_ingest_runs AS
SELECT i.id, i.started_at, i.ended_at, i.status, i.engine, i.ledger, i.from_commit, i.to_commit,
       i.entries_seen, i.entries_changed, i.entries_failed, i.error, i.ledger AS repository, i.alert,
       i.entries_refused, i.reconciled, i.accepted_rewrites
  FROM public.ingest_runs i;

CREATE OR REPLACE FUNCTION public.slsa_ingest_rewrites(batch jsonb) RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
  v_op text := batch->>'op';
  v_id uuid;
  v_repo text;
  v_head text;
  v_rewrites jsonb;
  v_accepted jsonb;
  v_commits text[];
  v_rows integer;
BEGIN
  IF jsonb_typeof(batch) IS DISTINCT FROM 'object' THEN
    RAISE EXCEPTION 'batch must be a json object' USING ERRCODE = '22023';
  END IF;
  IF batch->>'ingest_id' IS NULL OR batch->>'ingest_id' !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
    RAISE EXCEPTION 'batch.ingest_id must be a uuid' USING ERRCODE = '22023';
  END IF;
  v_id := (batch->>'ingest_id')::uuid;
  SELECT r.ledger INTO v_repo FROM public.ingest_runs r WHERE r.id = v_id AND r.status = 'running';
  IF NOT FOUND THEN
    RAISE EXCEPTION 'ingest % is not running (begin it first)', v_id USING ERRCODE = '22023';
  END IF;

  IF v_op = 'list' THEN
    SELECT coalesce(jsonb_agg(jsonb_build_object('commit', x.value->>'commit', 'path', x.value->>'path')
                              ORDER BY r.started_at, x.ordinality), '[]'::jsonb)
      INTO v_accepted
      FROM public.ingest_runs r
      CROSS JOIN LATERAL jsonb_array_elements(r.accepted_rewrites) WITH ORDINALITY AS x(value, ordinality)
     WHERE r.ledger = v_repo AND r.accepted_rewrites IS NOT NULL
       AND jsonb_typeof(r.accepted_rewrites) = 'array';
    RETURN jsonb_build_object('repository', v_repo, 'accepted', v_accepted);
  END IF;

  IF v_op IS DISTINCT FROM 'accept' THEN
    RAISE EXCEPTION 'batch.op must be list or accept, got %', coalesce(v_op, 'nothing') USING ERRCODE = '22023';
  END IF;
  v_head := batch->>'head';
  IF v_head IS NOT NULL AND v_head !~ '^([0-9a-f]{40}|[0-9a-f]{64})$' THEN
    RAISE EXCEPTION 'batch.head must be a commit id' USING ERRCODE = '22023';
  END IF;
  IF jsonb_typeof(batch->'rewrites') IS DISTINCT FROM 'array'
     OR jsonb_array_length(batch->'rewrites') NOT BETWEEN 1 AND 100000 THEN
    RAISE EXCEPTION 'batch.rewrites must be a json array of 1 to 100000 rewrites' USING ERRCODE = '22023';
  END IF;
  IF batch ? 'runs' AND (jsonb_typeof(batch->'runs') IS DISTINCT FROM 'array'
                         OR jsonb_array_length(batch->'runs') > 2000000) THEN
    RAISE EXCEPTION 'batch.runs must be a json array of at most 2000000 runs' USING ERRCODE = '22023';
  END IF;
  IF EXISTS (SELECT 1 FROM jsonb_array_elements(batch->'rewrites') AS x(value)
              WHERE jsonb_typeof(x.value) IS DISTINCT FROM 'object'
                 OR coalesce(x.value->>'commit', '') !~ '^([0-9a-f]{40}|[0-9a-f]{64})$'
                 OR coalesce(x.value->>'path', '') !~ '^\S+$' OR length(x.value->>'path') > 1000) THEN
    RAISE EXCEPTION 'each rewrite must be {commit: a commit id, path: a log path, message}' USING ERRCODE = '22023';
  END IF;
  -- accepted once per ingest: what was accepted is never changed afterwards
  IF EXISTS (SELECT 1 FROM public.ingest_runs r WHERE r.id = v_id AND r.accepted_rewrites IS NOT NULL) THEN
    RAISE EXCEPTION 'ingest % already recorded its accepted rewrites', v_id USING ERRCODE = '22023';
  END IF;

  SELECT jsonb_agg(jsonb_build_object(
           'commit', x.value->>'commit',
           'path', x.value->>'path',
           'message', left(coalesce(x.value->>'message', ''), 2000),
           'head', v_head,
           'accepted_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
           'by', session_user::text) ORDER BY x.ordinality),
         array_agg(DISTINCT x.value->>'commit')
    INTO v_rewrites, v_commits
    FROM jsonb_array_elements(batch->'rewrites') WITH ORDINALITY AS x(value, ordinality);
  UPDATE public.ingest_runs SET accepted_rewrites = v_rewrites WHERE id = v_id;
  UPDATE public.ingest_watermark w
     SET rewrite_accepted_at = now(),
         rewrite_accepted_commits = (SELECT array_agg(DISTINCT c ORDER BY c)
                                       FROM unnest(coalesce(w.rewrite_accepted_commits, '{}') || v_commits) AS u(c))
   WHERE w.ledger = v_repo;

  -- one audit row per run of a rewritten log's day (sent by ingest: the runs of those days it read)
  WITH rewrites AS (
    SELECT r.value AS rewrite,
           regexp_replace(r.value->>'path', '/[^/]*$', '') || '/manifest.json' AS day
      FROM jsonb_array_elements(v_rewrites) AS r(value)
  ),
  runs AS (
    SELECT DISTINCT x.value->>0 AS tag, (x.value->>1)::bigint AS run_id, x.value->>2 AS manifest_path
      FROM jsonb_array_elements(coalesce(batch->'runs', '[]')) AS x(value)
     WHERE jsonb_typeof(x.value) = 'array' AND jsonb_typeof(x.value->0) = 'string'
       AND x.value->>1 ~ '^[1-9][0-9]{0,15}$' AND jsonb_typeof(x.value->2) = 'string'
  ),
  audit AS (
    INSERT INTO public.provenance_audit_log (repository, tag, run_id, action, ingest_id, manifest_path, git_commit, metadata)
    SELECT v_repo, u.tag, u.run_id, 'rewrite-accepted', v_id, u.manifest_path, w.rewrite->>'commit',
           jsonb_build_object('commit', w.rewrite->>'commit', 'path', w.rewrite->>'path',
                              'message', w.rewrite->>'message', 'head', v_head, 'by', session_user::text,
                              'reason', 'the signed log of its day was rewritten in history; accepted by ingest --accept-rewrite: the run is not stored as verified')
      FROM rewrites w JOIN runs u ON u.manifest_path = w.day
    RETURNING 1
  )
  SELECT count(*) INTO v_rows FROM audit;
  RETURN jsonb_build_object('repository', v_repo, 'accepted', jsonb_array_length(v_rewrites), 'audit_rows', v_rows);
END
$$;

ALTER FUNCTION public.slsa_ingest_rewrites(jsonb) SET jit = off;
REVOKE ALL ON FUNCTION public.slsa_ingest_rewrites(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.slsa_ingest_rewrites(jsonb) TO slsa_manifest_ingest;
REVOKE ALL ON TABLE public.provenance_repositories, public.provenance_ingest_runs FROM PUBLIC;
GRANT SELECT ON TABLE public.provenance_repositories, public.provenance_ingest_runs TO slsa_kpi_reader;
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
      EXECUTE format('REVOKE ALL ON FUNCTION public.slsa_ingest_rewrites(jsonb) FROM %I', r);
      EXECUTE format('REVOKE ALL ON TABLE public.provenance_repositories, public.provenance_ingest_runs FROM %I', r);
    END IF;
  END LOOP;
END
$$;
