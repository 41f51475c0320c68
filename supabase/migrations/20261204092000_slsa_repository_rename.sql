-- A renamed or moved repository (issue 17): detect it, and a way out.
--
-- `ingest` names a ledger after its remote. When the GitHub repository is renamed (or moved to
-- another owner), its ledger used to be ingested as a new repository with a copy of every run, and
-- the organisation counted each run twice. Two functions, both callable by the ingest role:
--
-- * `slsa_ingest_lineage(batch)`: at an ingest of a repository the database holds no ingested
--   commit of, which other repositories is this ledger? Those whose watermark commit is on the
--   ledger's first-parent history (`commits`, sent by ingest), and those holding the same runs
--   (run id, tag and sha: GitHub run ids are unique across GitHub). Ingest refuses the ledger when
--   one matches (INGEST_REPOSITORY_RENAMED), before it writes any run.
-- * `slsa_rename_repository(batch)`: moves a repository to a new name in one transaction: its
--   runs (the rollups follow through the run table's triggers), watermark, manifests, ingests and
--   refused entries, with one audit-log row per run moved (action `renamed`; the append-only audit
--   log keeps its earlier rows under the name they were written with). Bounded for whoever holds
--   the ingest key: it never merges (a name that has runs or an ingested commit is refused), never
--   deletes a run, and refuses while either name has an ingest running. A rename of a repository
--   that is still alive is seen at that repository's next ingest: its ledger holds the moved
--   watermark, so it is refused and alerted as renamed.
--
-- Both answer refusals as data (`refused`: a stable reason), so the REST and SQL paths map them
-- to the same error codes.

ALTER TABLE public.provenance_audit_log DROP CONSTRAINT IF EXISTS provenance_audit_log_action_check;
-- NOT VALID: every existing row holds one of the earlier actions; new rows are checked
ALTER TABLE public.provenance_audit_log ADD CONSTRAINT provenance_audit_log_action_check
  CHECK (action IN ('insert', 'update', 'missing', 'restored', 'renamed')) NOT VALID;

CREATE OR REPLACE FUNCTION public.slsa_ingest_lineage(batch jsonb) RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
  v_id uuid;
  v_repo text;
  v_matches jsonb;
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
  IF (batch ? 'commits' AND jsonb_typeof(batch->'commits') IS DISTINCT FROM 'array')
     OR (batch ? 'runs' AND jsonb_typeof(batch->'runs') IS DISTINCT FROM 'array') THEN
    RAISE EXCEPTION 'batch.commits and batch.runs must be json arrays' USING ERRCODE = '22023';
  END IF;
  IF jsonb_array_length(coalesce(batch->'commits', '[]')) > 2000000
     OR jsonb_array_length(coalesce(batch->'runs', '[]')) > 2000000 THEN
    RAISE EXCEPTION 'batch.commits and batch.runs hold at most 2000000 items each' USING ERRCODE = '22023';
  END IF;
  -- a repository with an ingested commit has its own witness (the watermark on its history)
  IF EXISTS (SELECT 1 FROM public.ingest_watermark w WHERE w.ledger = v_repo AND w.git_commit IS NOT NULL) THEN
    RETURN jsonb_build_object('repository', v_repo, 'matches', '[]'::jsonb);
  END IF;
  WITH commits AS (
    SELECT DISTINCT c.value AS git_commit
      FROM jsonb_array_elements_text(coalesce(batch->'commits', '[]')) AS c(value)
     WHERE c.value ~ '^([0-9a-f]{40}|[0-9a-f]{64})$'
  ),
  by_commit AS (
    SELECT w.ledger AS repository, w.git_commit
      FROM public.ingest_watermark w JOIN commits c ON c.git_commit = w.git_commit
     WHERE w.ledger <> v_repo
  ),
  runs AS (
    SELECT DISTINCT x.value->>0 AS tag, (x.value->>1)::bigint AS run_id, x.value->>2 AS sha
      FROM jsonb_array_elements(coalesce(batch->'runs', '[]')) AS x(value)
     WHERE jsonb_typeof(x.value) = 'array' AND jsonb_typeof(x.value->0) = 'string'
       AND x.value->>1 ~ '^[1-9][0-9]{0,15}$' AND jsonb_typeof(x.value->2) = 'string'
  ),
  by_run AS (
    SELECT r.repository, count(*) AS runs
      FROM runs i JOIN public.slsa_runs r ON r.run_id = i.run_id AND r.tag = i.tag AND r.sha = i.sha
     WHERE r.repository <> v_repo
     GROUP BY r.repository
  )
  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'repository', m.repository,
           'watermark', m.git_commit,
           'runs', coalesce(m.runs, 0)) ORDER BY m.git_commit IS NULL, m.runs DESC NULLS LAST, m.repository COLLATE "C"), '[]'::jsonb)
    INTO v_matches
    FROM (SELECT coalesce(c.repository, r.repository) AS repository, c.git_commit, r.runs
            FROM by_commit c FULL JOIN by_run r ON r.repository = c.repository) m;
  RETURN jsonb_build_object('repository', v_repo, 'matches', v_matches);
END
$$;

CREATE OR REPLACE FUNCTION public.slsa_rename_repository(batch jsonb) RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
  v_from text := batch->>'from';
  v_to text := batch->>'to';
  v_known text;
  v_rename_id uuid;
  v_taken text[];
  v_runs integer;
  v_ingests integer;
  v_manifests integer;
  v_failures integer;
  v_watermark text;
BEGIN
  IF jsonb_typeof(batch) IS DISTINCT FROM 'object' THEN
    RAISE EXCEPTION 'batch must be a json object' USING ERRCODE = '22023';
  END IF;
  IF batch->>'rename_id' IS NULL OR batch->>'rename_id' !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
    RAISE EXCEPTION 'batch.rename_id must be a uuid' USING ERRCODE = '22023';
  END IF;
  v_rename_id := (batch->>'rename_id')::uuid;
  IF v_from IS NULL OR v_to IS NULL
     OR v_from !~ '^[A-Za-z0-9_.-]{1,100}(/[A-Za-z0-9_.-]{1,100})?$'
     OR v_to !~ '^[A-Za-z0-9_.-]{1,100}(/[A-Za-z0-9_.-]{1,100})?$' THEN
    RAISE EXCEPTION 'batch.from and batch.to must be owner/name' USING ERRCODE = '22023';
  END IF;
  -- the repository as the database spells it (names are case-insensitive, as at `begin`)
  SELECT x.repository INTO v_known
    FROM (SELECT w.ledger AS repository FROM public.ingest_watermark w WHERE lower(w.ledger) = lower(v_from)
          UNION
          (SELECT r.repository FROM public.slsa_runs r WHERE r.repository = v_from LIMIT 1)) x
   ORDER BY x.repository = v_from DESC, x.repository COLLATE "C"
   LIMIT 1;
  IF v_known IS NULL THEN
    RETURN jsonb_build_object('renamed', false, 'refused', 'unknown', 'from', v_from, 'to', v_to);
  END IF;
  IF v_known = v_to THEN
    RETURN jsonb_build_object('renamed', false, 'refused', 'same', 'from', v_known, 'to', v_to);
  END IF;
  -- one writer per repository: the ingest function's per-repository lock, in name order
  PERFORM pg_catalog.pg_advisory_xact_lock(734029017, pg_catalog.hashtext(n))
     FROM (SELECT u.n FROM unnest(ARRAY[v_known, v_to]) AS u(n) ORDER BY u.n COLLATE "C") o;
  IF EXISTS (SELECT 1 FROM public.ingest_runs r
              WHERE r.ledger IN (v_known, v_to) AND r.status = 'running' AND r.started_at >= now() - interval '1 hour') THEN
    RETURN jsonb_build_object('renamed', false, 'refused', 'running', 'from', v_known, 'to', v_to);
  END IF;
  -- never a merge: the new name (in any case, other than the repository itself) may hold no run and
  -- no ingested commit; what it may hold is what a refused ingest left (failed ingests, an empty
  -- watermark row)
  SELECT array_agg(w.ledger) INTO v_taken
    FROM public.ingest_watermark w WHERE lower(w.ledger) = lower(v_to) AND w.ledger <> v_known;
  IF EXISTS (SELECT 1 FROM public.ingest_watermark w
              WHERE w.ledger = ANY (coalesce(v_taken, '{}')) AND w.git_commit IS NOT NULL)
     OR EXISTS (SELECT 1 FROM public.slsa_runs r
                 WHERE r.repository = ANY (array_append(coalesce(v_taken, '{}'), v_to)) AND r.repository <> v_known) THEN
    RETURN jsonb_build_object('renamed', false, 'refused', 'taken', 'from', v_known, 'to', v_to);
  END IF;

  DELETE FROM public.ingest_watermark w WHERE w.ledger = ANY (coalesce(v_taken, '{}'));
  DELETE FROM public.ledger_manifests m WHERE m.repository = ANY (array_append(coalesce(v_taken, '{}'), v_to));
  UPDATE public.ingest_watermark SET ledger = v_to WHERE ledger = v_known RETURNING git_commit INTO v_watermark;
  UPDATE public.ledger_manifests SET repository = v_to WHERE repository = v_known;
  GET DIAGNOSTICS v_manifests = ROW_COUNT;
  UPDATE public.ingest_runs SET ledger = v_to WHERE ledger = v_known OR ledger = ANY (coalesce(v_taken, '{}'));
  GET DIAGNOSTICS v_ingests = ROW_COUNT;
  UPDATE public.ingest_entry_failures SET repository = v_to WHERE repository = v_known;
  GET DIAGNOSTICS v_failures = ROW_COUNT;
  INSERT INTO public.provenance_audit_log (repository, tag, run_id, action, ingest_id, manifest_path, git_commit, metadata)
  SELECT v_to, r.tag, r.run_id, 'renamed', NULL, r.manifest_path, r.git_commit,
         jsonb_build_object('from', v_known, 'to', v_to, 'rename_id', v_rename_id,
                            'by', session_user::text, 'reason', left(coalesce(batch->>'reason', ''), 500))
    FROM public.slsa_runs r WHERE r.repository = v_known;
  -- the per-repository and organisation rollups follow through the run table's update triggers
  UPDATE public.slsa_runs SET repository = v_to WHERE repository = v_known;
  GET DIAGNOSTICS v_runs = ROW_COUNT;
  RETURN jsonb_build_object('renamed', true, 'from', v_known, 'to', v_to, 'rename_id', v_rename_id,
                            'runs', v_runs, 'ingests', v_ingests, 'manifests', v_manifests,
                            'refused_entries', v_failures, 'watermark', v_watermark);
END
$$;

ALTER FUNCTION public.slsa_ingest_lineage(jsonb) SET jit = off;
ALTER FUNCTION public.slsa_rename_repository(jsonb) SET jit = off;
REVOKE ALL ON FUNCTION public.slsa_ingest_lineage(jsonb), public.slsa_rename_repository(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.slsa_ingest_lineage(jsonb), public.slsa_rename_repository(jsonb) TO slsa_manifest_ingest;
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
      EXECUTE format('REVOKE ALL ON FUNCTION public.slsa_ingest_lineage(jsonb), public.slsa_rename_repository(jsonb) FROM %I', r);
    END IF;
  END LOOP;
END
$$;
