-- The KPIs at a million runs without reading every run of a window three times (`kpi` over 82,000
-- of 1,000,000 runs: ~150 ms before, see docs/database.md "Tests and bench"):
--  1. `lag_s`, the manifest-to-database lag at millisecond resolution, is stored with the run (a
--     generated column, so no writer can forget it) and covered by the KPI index, instead of being
--     computed from two timestamps per run on every read;
--  2. `slsa_kpi_days`, `slsa_kpi_day_flags` and `slsa_kpi_day_manifests` hold, per UTC day of entry
--     timestamps, the daily KPIs, the runs per (status, governance flag) and the smallest manifest hash
--     per manifest file. Statement triggers on slsa_runs rebuild
--     the days a statement touched from the runs themselves, so the rollup is exact (percentiles
--     included) whoever writes: the ingest function, a direct INSERT, an UPDATE, a DELETE, a TRUNCATE.
-- `provenance_kpi_daily` reads the rollup; `kpi` and the dashboard's charts read it for the whole days
-- of a window and the runs for the two partial days at its edges (src/io/kpi-queries.ts).

-- Whole milliseconds since the epoch on each side (floor, as date_trunc('milliseconds') and the
-- reference's ISO times), subtracted exactly as numeric and divided by 1000 once as a double: the same
-- double `kpi` computed per read before. Every function here is immutable, as a generated column needs.
ALTER TABLE public.slsa_runs ADD COLUMN IF NOT EXISTS lag_s double precision GENERATED ALWAYS AS (
  (floor(extract(epoch FROM ingested_at - timestamptz '1970-01-01 00:00:00+00') * 1000)
   - floor(extract(epoch FROM "timestamp" - timestamptz '1970-01-01 00:00:00+00') * 1000))::double precision
  / 1000) STORED;

-- The KPI index again, with lag_s in place of ingested_at (an INCLUDE list cannot be altered in
-- place): the partial days at a window's edges and the dashboard's window aggregates read it alone.
CREATE INDEX IF NOT EXISTS slsa_runs_kpi_lag_idx ON public.slsa_runs ("timestamp")
  INCLUDE (status, artifact_url, governance_flag, validation_status, notify_attempts, notify_delivered,
           lock_wait_s, artifact_upload_latency_s, lag_s, dispatch_token_rotated_at,
           dispatch_token_expires_at, manifest_path, manifest_hash);
DROP INDEX IF EXISTS public.slsa_runs_kpi_idx;
-- The three columns whose percentiles need every value of a window, alone: a fifth of the wide
-- index's pages per run (`kpi`'s three percentile scans over 82,000 runs: 18 ms each to 5 ms).
CREATE INDEX IF NOT EXISTS slsa_runs_kpi_percentile_idx ON public.slsa_runs ("timestamp")
  INCLUDE (lock_wait_s, artifact_upload_latency_s, lag_s);

-- One row per UTC day that has runs; no row for a day without runs.
CREATE TABLE IF NOT EXISTS public.slsa_kpi_days (
  day date PRIMARY KEY,
  entries integer NOT NULL,
  failures integer NOT NULL,
  missing_artifacts integer NOT NULL,
  validated integer NOT NULL,
  notify_attempts bigint NOT NULL,
  notify_delivered bigint NOT NULL,
  lock_wait_s_p50 double precision,
  lock_wait_s_p95 double precision,
  artifact_upload_latency_s_p50 double precision,
  artifact_upload_latency_s_p95 double precision,
  manifest_to_db_lag_s_p50 double precision,
  manifest_to_db_lag_s_p95 double precision,
  manifest_to_db_lag_s_max double precision,
  dispatch_token_rotated_at timestamptz,
  dispatch_token_expires_at timestamptz
);

-- Per UTC day, the runs of each (status, governance flag) pair; the flag may be null.
CREATE TABLE IF NOT EXISTS public.slsa_kpi_day_flags (
  day date NOT NULL,
  status text NOT NULL,
  governance_flag text,
  runs integer NOT NULL
);
CREATE INDEX IF NOT EXISTS slsa_kpi_day_flags_day_idx ON public.slsa_kpi_day_flags (day);

-- Per UTC day, each manifest file its runs were read from, with the smallest hash among them.
CREATE TABLE IF NOT EXISTS public.slsa_kpi_day_manifests (
  day date NOT NULL,
  manifest_path text NOT NULL,
  manifest_hash text NOT NULL,
  PRIMARY KEY (day, manifest_path)
);

-- Rebuilds the given days from slsa_runs. Writers of the same day take turns (an advisory lock per
-- day, taken in day order so two writers cannot deadlock on each other's days); at READ COMMITTED,
-- the default, each statement below sees every run committed before the lock was granted.
CREATE OR REPLACE FUNCTION public.slsa_kpi_refresh_days(days date[]) RETURNS void
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
  PERFORM pg_catalog.pg_advisory_xact_lock(734029015, d.day - date '2000-01-01')
     FROM (SELECT DISTINCT u.day FROM unnest(days) AS u(day) WHERE u.day IS NOT NULL ORDER BY u.day) d;
  DELETE FROM public.slsa_kpi_days k WHERE k.day = ANY (days);
  DELETE FROM public.slsa_kpi_day_flags f WHERE f.day = ANY (days);
  DELETE FROM public.slsa_kpi_day_manifests m WHERE m.day = ANY (days);
  INSERT INTO public.slsa_kpi_days
  SELECT d.day,
         count(*)::integer,
         count(*) FILTER (WHERE r.status = 'failure')::integer,
         count(*) FILTER (WHERE r.artifact_url IS NULL OR r.governance_flag = 'artifact-missing')::integer,
         count(*) FILTER (WHERE r.validation_status = 'passed')::integer,
         coalesce(sum(r.notify_attempts), 0)::bigint,
         coalesce(sum(r.notify_delivered), 0)::bigint,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY r.lock_wait_s),
         percentile_cont(0.95) WITHIN GROUP (ORDER BY r.lock_wait_s),
         percentile_cont(0.5) WITHIN GROUP (ORDER BY r.artifact_upload_latency_s),
         percentile_cont(0.95) WITHIN GROUP (ORDER BY r.artifact_upload_latency_s),
         percentile_cont(0.5) WITHIN GROUP (ORDER BY r.lag_s),
         percentile_cont(0.95) WITHIN GROUP (ORDER BY r.lag_s),
         max(r.lag_s),
         max(r.dispatch_token_rotated_at),
         max(r.dispatch_token_expires_at)
    FROM (SELECT DISTINCT u.day FROM unnest(days) AS u(day) WHERE u.day IS NOT NULL) d
    JOIN public.slsa_runs r
      ON r."timestamp" >= (d.day::timestamp AT TIME ZONE 'UTC')
     AND r."timestamp" < ((d.day + 1)::timestamp AT TIME ZONE 'UTC')
   GROUP BY d.day;
  INSERT INTO public.slsa_kpi_day_flags
  SELECT d.day, r.status, r.governance_flag, count(*)::integer
    FROM (SELECT DISTINCT u.day FROM unnest(days) AS u(day) WHERE u.day IS NOT NULL) d
    JOIN public.slsa_runs r
      ON r."timestamp" >= (d.day::timestamp AT TIME ZONE 'UTC')
     AND r."timestamp" < ((d.day + 1)::timestamp AT TIME ZONE 'UTC')
   GROUP BY d.day, r.status, r.governance_flag;
  INSERT INTO public.slsa_kpi_day_manifests
  SELECT d.day, r.manifest_path, min(r.manifest_hash)
    FROM (SELECT DISTINCT u.day FROM unnest(days) AS u(day) WHERE u.day IS NOT NULL) d
    JOIN public.slsa_runs r
      ON r."timestamp" >= (d.day::timestamp AT TIME ZONE 'UTC')
     AND r."timestamp" < ((d.day + 1)::timestamp AT TIME ZONE 'UTC')
   GROUP BY d.day, r.manifest_path;
END
$$;

-- The statement triggers: the UTC days of the rows a statement inserted, changed (old and new day)
-- or deleted. A transition table cannot serve two events, hence three triggers on one function.
CREATE OR REPLACE FUNCTION public.slsa_runs_refresh_kpi_days() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
DECLARE
  v_days date[];
BEGIN
  IF tg_op = 'TRUNCATE' THEN
    TRUNCATE public.slsa_kpi_days, public.slsa_kpi_day_flags, public.slsa_kpi_day_manifests;
    RETURN NULL;
  ELSIF tg_op = 'INSERT' THEN
    SELECT array_agg(DISTINCT (n."timestamp" AT TIME ZONE 'UTC')::date) INTO v_days FROM slsa_new_runs n;
  ELSIF tg_op = 'UPDATE' THEN
    SELECT array_agg(DISTINCT x.day) INTO v_days
      FROM (SELECT (n."timestamp" AT TIME ZONE 'UTC')::date FROM slsa_new_runs n
            UNION ALL
            SELECT (o."timestamp" AT TIME ZONE 'UTC')::date FROM slsa_old_runs o) AS x(day);
  ELSE
    SELECT array_agg(DISTINCT (o."timestamp" AT TIME ZONE 'UTC')::date) INTO v_days FROM slsa_old_runs o;
  END IF;
  IF v_days IS NOT NULL THEN
    PERFORM public.slsa_kpi_refresh_days(v_days);
  END IF;
  RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS slsa_runs_kpi_days_insert ON public.slsa_runs;
CREATE TRIGGER slsa_runs_kpi_days_insert AFTER INSERT ON public.slsa_runs
  REFERENCING NEW TABLE AS slsa_new_runs
  FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_runs_refresh_kpi_days();
DROP TRIGGER IF EXISTS slsa_runs_kpi_days_update ON public.slsa_runs;
CREATE TRIGGER slsa_runs_kpi_days_update AFTER UPDATE ON public.slsa_runs
  REFERENCING OLD TABLE AS slsa_old_runs NEW TABLE AS slsa_new_runs
  FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_runs_refresh_kpi_days();
DROP TRIGGER IF EXISTS slsa_runs_kpi_days_delete ON public.slsa_runs;
CREATE TRIGGER slsa_runs_kpi_days_delete AFTER DELETE ON public.slsa_runs
  REFERENCING OLD TABLE AS slsa_old_runs
  FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_runs_refresh_kpi_days();
DROP TRIGGER IF EXISTS slsa_runs_kpi_days_truncate ON public.slsa_runs;
CREATE TRIGGER slsa_runs_kpi_days_truncate AFTER TRUNCATE ON public.slsa_runs
  FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_runs_refresh_kpi_days();

-- The runs already there.
SELECT public.slsa_kpi_refresh_days(array_agg(DISTINCT (r."timestamp" AT TIME ZONE 'UTC')::date))
  FROM public.slsa_runs r;

-- The daily KPIs from the rollup: the columns as before (the lag is now the stored millisecond lag,
-- the value `kpi` reports, where it used to carry the microseconds of ingested_at), then the day's
-- latest dispatch-token rotation and expiry.
CREATE OR REPLACE VIEW public.provenance_kpi_daily AS
SELECT k.day, k.entries, k.failures, k.missing_artifacts, k.validated,
       k.failures::double precision / k.entries AS failure_rate,
       k.missing_artifacts::double precision / k.entries AS missing_artifact_rate,
       k.validated::double precision / k.entries AS validated_rate,
       k.notify_attempts, k.notify_delivered,
       k.lock_wait_s_p50, k.lock_wait_s_p95,
       k.artifact_upload_latency_s_p50, k.artifact_upload_latency_s_p95,
       k.manifest_to_db_lag_s_p50, k.manifest_to_db_lag_s_p95, k.manifest_to_db_lag_s_max,
       k.dispatch_token_rotated_at, k.dispatch_token_expires_at
  FROM public.slsa_kpi_days k;

-- The run view gains the stored lag (a view can only grow at its end).
CREATE OR REPLACE VIEW public.provenance_runs AS
SELECT r.tag, r.run_id, r.sha, r.artifact_url, r.actor, r."timestamp", r.status, r.governance_flag,
       r.release_url, r.failure_reason, r.governance_history, r.provenance, r.validation, r.metrics,
       r.validation_status, r.validated_at, r.content_sha256, r.artifact_upload_latency_s,
       r.lock_wait_s, r.notify_attempts, r.notify_delivered, r.dispatch_token_expires_at,
       r.dispatch_token_rotated_at, r.manifest_path, r.manifest_hash, r.git_commit, r.ingested_at,
       r.first_ingested_at, r.entry, r.lag_s
  FROM public.slsa_runs r;

-- The lag view reads the stored lag too.
CREATE OR REPLACE VIEW public.provenance_ingest_lag AS
SELECT r.tag, r.run_id, r."timestamp", r.ingested_at, r.manifest_path, r.git_commit, r.lag_s
  FROM public.slsa_runs r;

-- For `kpi` and the dashboard (the reader sees views only): the smallest manifest hash per file and
-- day, and the runs per status and governance flag and day.
CREATE OR REPLACE VIEW public.provenance_kpi_day_manifests AS
SELECT m.day, m.manifest_path, m.manifest_hash FROM public.slsa_kpi_day_manifests m;
CREATE OR REPLACE VIEW public.provenance_kpi_day_flags AS
SELECT f.day, f.status, f.governance_flag, f.runs FROM public.slsa_kpi_day_flags f;

-- Grants as the roles migration: the tables and functions to nobody, the new view to the reader.
REVOKE ALL ON TABLE public.slsa_kpi_days, public.slsa_kpi_day_flags, public.slsa_kpi_day_manifests FROM PUBLIC;
REVOKE ALL ON TABLE public.slsa_kpi_days, public.slsa_kpi_day_flags, public.slsa_kpi_day_manifests
  FROM slsa_manifest_ingest, slsa_kpi_reader;
REVOKE ALL ON FUNCTION public.slsa_kpi_refresh_days(date[]), public.slsa_runs_refresh_kpi_days() FROM PUBLIC;
REVOKE ALL ON TABLE public.provenance_kpi_day_manifests, public.provenance_kpi_day_flags FROM PUBLIC;
GRANT SELECT ON TABLE public.provenance_kpi_day_manifests, public.provenance_kpi_day_flags TO slsa_kpi_reader;

-- On Supabase, take the default grants on new objects back from anon, authenticated and service_role.
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
      EXECUTE format(
        'REVOKE ALL ON TABLE public.slsa_kpi_days, public.slsa_kpi_day_flags, public.slsa_kpi_day_manifests, '
        'public.provenance_kpi_day_manifests, public.provenance_kpi_day_flags FROM %I', r);
      EXECUTE format(
        'REVOKE ALL ON FUNCTION public.slsa_kpi_refresh_days(date[]), public.slsa_runs_refresh_kpi_days() FROM %I', r);
    END IF;
  END LOOP;
END
$$;
