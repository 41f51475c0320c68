-- The window's edge by the hour (issue 17: `/api/kpi` over the organisation's year).
--
-- A window that starts inside a day with runs before `since` (the dashboard's `since=365d`, any
-- `30d`) read that day's part run by run: ~16,600 runs at 10M, ~35 ms of the organisation's report
-- spent on aggregates per run (docs/database.md "Tenth session"). With these two tables an edge is
-- at most two partial hours read run by run (~1,100 runs each at 10M); the edge day's whole hours
-- come from here (src/io/kpi-queries.ts, the organisation's report).
--
-- slsa_kpi_hours: per (repository, UTC hour) the counts, sums and maxima the report's edge reads
-- (the per-(repository, day) rollup's columns less its percentiles). Rebuilt from the runs for the
-- (repository, hour) pairs a statement touched, like the per-day rows: exact, maxima included.
-- slsa_kpi_hour_flags: per (repository, UTC hour) the runs of each (status, governance flag), rebuilt
-- with them (the dashboard's breakdown).
-- slsa_kpi_org_hour_buckets: the organisation's percentile histogram per UTC hour (metric, bucket of
-- slsa_kpi_thresholds()), kept by each statement's delta like the per-day one (…070000): counts add,
-- the bounds only widen (a bucket whose bounds are equal holds one value; NaN: not known).
--
-- The triggers are named after the rollup's own (`slsa_runs_kpi_insert` …, which take the
-- per-(repository, day) advisory locks in slsa_kpi_refresh) so that they fire after them: Postgres
-- fires a table's triggers of one event in name order. A writer of a repository's day therefore
-- rebuilds its hours holding that day's lock, and at READ COMMITTED each statement here sees the
-- runs of the writers before it, as the per-day rebuild does.

CREATE TABLE IF NOT EXISTS public.slsa_kpi_hours (
  repository text NOT NULL,
  hour timestamptz NOT NULL,
  entries integer NOT NULL,
  failures integer NOT NULL,
  missing_artifacts integer NOT NULL,
  validated integer NOT NULL,
  success integer NOT NULL,
  validation_failures integer NOT NULL,
  notify_attempts bigint NOT NULL,
  notify_delivered bigint NOT NULL,
  notified_runs integer NOT NULL,
  notified_runs_delivered integer NOT NULL,
  signatures_verified integer NOT NULL,
  signatures_unsigned integer NOT NULL,
  signatures_invalid integer NOT NULL,
  signatures_untrusted integer NOT NULL,
  signatures_unverified integer NOT NULL,
  missing_from_ledger integer NOT NULL,
  manifest_to_db_lag_s_max double precision,
  dispatch_token_rotated_at timestamptz,
  dispatch_token_expires_at timestamptz,
  -- hour first: the organisation's edge reads an hour range of every repository
  PRIMARY KEY (hour, repository)
);
CREATE TABLE IF NOT EXISTS public.slsa_kpi_hour_flags (
  repository text NOT NULL,
  hour timestamptz NOT NULL,
  status text NOT NULL,
  governance_flag text,
  runs integer NOT NULL
);
-- covering: an hour range's rows lie all over the table (written repository by repository); read
-- from the index alone they cost ~30 pages a day of 100 repositories instead of ~5,000
CREATE INDEX IF NOT EXISTS slsa_kpi_hour_flags_hour_idx ON public.slsa_kpi_hour_flags (hour, repository)
  INCLUDE (status, governance_flag, runs);

CREATE TABLE IF NOT EXISTS public.slsa_kpi_org_hour_buckets (
  hour timestamptz NOT NULL,
  metric smallint NOT NULL,
  bucket integer NOT NULL,
  runs bigint NOT NULL,
  min_value double precision NOT NULL,
  max_value double precision NOT NULL,
  PRIMARY KEY (hour, metric, bucket)
-- updated in place by every statement's delta: room on each page for the new row versions (HOT
-- updates, no index entry each), as the fine counts (…130000); the upsert of a 5,000-run batch took
-- 94-98 ms with full pages, 44-60 ms with these
) WITH (fillfactor = 70);

-- The hour of a timestamp, in UTC whatever the session's time zone.
CREATE OR REPLACE FUNCTION public.slsa_kpi_hour(t timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT date_trunc('hour', t AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
$$;

-- Rebuilds the (repository, hour) rows of the given pairs from the runs, then adds a histogram delta
-- (rows in key order, so two writers lock them alike).
CREATE OR REPLACE FUNCTION public.slsa_kpi_hours_apply(
  p_repos text[], p_hours timestamptz[],
  p_bucket_hours timestamptz[], p_metrics smallint[], p_buckets integer[], p_runs bigint[],
  p_mins double precision[], p_maxs double precision[]
) RETURNS void
LANGUAGE sql SET search_path = '' SET jit = off AS $$
  DELETE FROM public.slsa_kpi_hours k USING unnest(p_repos, p_hours) AS p(repository, hour)
   WHERE k.repository = p.repository AND k.hour = p.hour;
  DELETE FROM public.slsa_kpi_hour_flags k USING unnest(p_repos, p_hours) AS p(repository, hour)
   WHERE k.repository = p.repository AND k.hour = p.hour;
  WITH touched AS MATERIALIZED (
    SELECT p.repository, p.hour, r.*
      FROM (SELECT DISTINCT u.repository, u.hour FROM unnest(p_repos, p_hours) AS u(repository, hour)) p
     CROSS JOIN LATERAL (
       SELECT o.status, o.artifact_url, o.governance_flag, o.validation_status, o.notify_attempts, o.notify_delivered,
              o.signature_status, o.missing_since, o.lag_s, o.dispatch_token_rotated_at, o.dispatch_token_expires_at
         FROM public.slsa_runs o
        WHERE o.repository COLLATE "C" = p.repository AND o."timestamp" >= p.hour
          AND o."timestamp" < p.hour + interval '1 hour'
       OFFSET 0) r
  ),
  flag_rows AS (
    INSERT INTO public.slsa_kpi_hour_flags
    SELECT t.repository, t.hour, t.status, t.governance_flag, count(*)::integer FROM touched t GROUP BY 1, 2, 3, 4
  )
  INSERT INTO public.slsa_kpi_hours
  SELECT r.repository, r.hour,
         count(*)::integer,
         count(*) FILTER (WHERE r.status = 'failure')::integer,
         count(*) FILTER (WHERE r.artifact_url IS NULL OR r.governance_flag = 'artifact-missing')::integer,
         count(*) FILTER (WHERE r.validation_status = 'passed')::integer,
         count(*) FILTER (WHERE r.status = 'success')::integer,
         count(*) FILTER (WHERE r.validation_status = 'failed')::integer,
         coalesce(sum(r.notify_attempts), 0)::bigint,
         coalesce(sum(r.notify_delivered), 0)::bigint,
         count(*) FILTER (WHERE r.notify_attempts > 0)::integer,
         count(*) FILTER (WHERE r.notify_attempts > 0 AND r.notify_delivered >= r.notify_attempts)::integer,
         count(*) FILTER (WHERE r.signature_status = 'verified')::integer,
         count(*) FILTER (WHERE r.signature_status = 'unsigned')::integer,
         count(*) FILTER (WHERE r.signature_status = 'invalid')::integer,
         count(*) FILTER (WHERE r.signature_status = 'untrusted')::integer,
         count(*) FILTER (WHERE r.signature_status = 'unverified')::integer,
         count(*) FILTER (WHERE r.missing_since IS NOT NULL)::integer,
         max(r.lag_s),
         max(r.dispatch_token_rotated_at),
         max(r.dispatch_token_expires_at)
    FROM touched r
   GROUP BY r.repository, r.hour;
  INSERT INTO public.slsa_kpi_org_hour_buckets AS o (hour, metric, bucket, runs, min_value, max_value)
  SELECT d.hour, d.metric, d.bucket, d.runs, d.min_value, d.max_value
    FROM unnest(p_bucket_hours, p_metrics, p_buckets, p_runs, p_mins, p_maxs)
         AS d(hour, metric, bucket, runs, min_value, max_value)
   ORDER BY 1, 2, 3
  ON CONFLICT (hour, metric, bucket) DO UPDATE
     SET runs = o.runs + excluded.runs,
         min_value = CASE WHEN excluded.min_value = 'NaN' THEN o.min_value ELSE least(o.min_value, excluded.min_value) END,
         max_value = CASE WHEN excluded.max_value = 'NaN' THEN o.max_value ELSE greatest(o.max_value, excluded.max_value) END;
$$;

-- The statement's (repository, hour) pairs and histogram delta: inserted runs count +1 and may widen
-- the bounds, deleted ones -1 (bounds kept), an update both.
CREATE OR REPLACE FUNCTION public.slsa_runs_refresh_kpi_hours() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' SET jit = off AS $$
DECLARE
  v_repos text[];
  v_hours timestamptz[];
  b_hours timestamptz[];
  b_metrics smallint[];
  b_buckets integer[];
  b_runs bigint[];
  b_mins double precision[];
  b_maxs double precision[];
BEGIN
  IF tg_op = 'TRUNCATE' THEN
    TRUNCATE public.slsa_kpi_hours, public.slsa_kpi_hour_flags, public.slsa_kpi_org_hour_buckets;
    RETURN NULL;
  ELSIF tg_op = 'INSERT' THEN
    SELECT array_agg(x.repository), array_agg(x.hour) INTO v_repos, v_hours
      FROM (SELECT DISTINCT n.repository, public.slsa_kpi_hour(n."timestamp") AS hour FROM slsa_new_runs n) x;
    SELECT array_agg(d.hour), array_agg(d.metric), array_agg(d.bucket), array_agg(d.runs), array_agg(d.min_value),
           array_agg(d.max_value)
      INTO b_hours, b_metrics, b_buckets, b_runs, b_mins, b_maxs
      FROM (SELECT public.slsa_kpi_hour(n."timestamp") AS hour, x.metric,
                   width_bucket(x.v, public.slsa_kpi_thresholds()) AS bucket, count(*) AS runs, min(x.v) AS min_value,
                   max(x.v) AS max_value
              FROM slsa_new_runs n
             CROSS JOIN LATERAL (VALUES (1::smallint, n.lock_wait_s), (2::smallint, n.artifact_upload_latency_s),
                                        (3::smallint, n.lag_s), (4::smallint, n.notify_latency_s)) AS x(metric, v)
             WHERE x.v IS NOT NULL
             GROUP BY 1, 2, 3) d;
  ELSIF tg_op = 'UPDATE' THEN
    SELECT array_agg(x.repository), array_agg(x.hour) INTO v_repos, v_hours
      FROM (SELECT n.repository, public.slsa_kpi_hour(n."timestamp") AS hour FROM slsa_new_runs n
            UNION
            SELECT o.repository, public.slsa_kpi_hour(o."timestamp") FROM slsa_old_runs o) x;
    SELECT array_agg(d.hour), array_agg(d.metric), array_agg(d.bucket), array_agg(d.runs), array_agg(d.min_value),
           array_agg(d.max_value)
      INTO b_hours, b_metrics, b_buckets, b_runs, b_mins, b_maxs
      FROM (SELECT c.hour, c.metric, c.bucket, sum(c.n) AS runs,
                   coalesce(min(c.v) FILTER (WHERE c.n > 0), 'NaN') AS min_value,
                   coalesce(max(c.v) FILTER (WHERE c.n > 0), 'NaN') AS max_value
              FROM (SELECT public.slsa_kpi_hour(r."timestamp") AS hour, x.metric,
                           width_bucket(x.v, public.slsa_kpi_thresholds()) AS bucket, r.n, x.v
                      FROM (SELECT o."timestamp", o.lock_wait_s, o.artifact_upload_latency_s, o.lag_s, o.notify_latency_s,
                                   -1 AS n
                              FROM slsa_old_runs o
                            UNION ALL
                            SELECT n."timestamp", n.lock_wait_s, n.artifact_upload_latency_s, n.lag_s, n.notify_latency_s, 1
                              FROM slsa_new_runs n) r
                     CROSS JOIN LATERAL (VALUES (1::smallint, r.lock_wait_s), (2::smallint, r.artifact_upload_latency_s),
                                                (3::smallint, r.lag_s), (4::smallint, r.notify_latency_s)) AS x(metric, v)
                     WHERE x.v IS NOT NULL) c
             GROUP BY 1, 2, 3
            HAVING sum(c.n) <> 0 OR count(*) FILTER (WHERE c.n > 0) > 0) d;
  ELSE
    SELECT array_agg(x.repository), array_agg(x.hour) INTO v_repos, v_hours
      FROM (SELECT DISTINCT o.repository, public.slsa_kpi_hour(o."timestamp") AS hour FROM slsa_old_runs o) x;
    SELECT array_agg(d.hour), array_agg(d.metric), array_agg(d.bucket), array_agg(d.runs), array_agg(d.min_value),
           array_agg(d.max_value)
      INTO b_hours, b_metrics, b_buckets, b_runs, b_mins, b_maxs
      FROM (SELECT public.slsa_kpi_hour(o."timestamp") AS hour, x.metric,
                   width_bucket(x.v, public.slsa_kpi_thresholds()) AS bucket, -count(*) AS runs,
                   'NaN'::double precision AS min_value, 'NaN'::double precision AS max_value
              FROM slsa_old_runs o
             CROSS JOIN LATERAL (VALUES (1::smallint, o.lock_wait_s), (2::smallint, o.artifact_upload_latency_s),
                                        (3::smallint, o.lag_s), (4::smallint, o.notify_latency_s)) AS x(metric, v)
             WHERE x.v IS NOT NULL
             GROUP BY 1, 2, 3) d;
  END IF;
  IF v_repos IS NOT NULL THEN
    PERFORM public.slsa_kpi_hours_apply(v_repos, v_hours, coalesce(b_hours, '{}'), coalesce(b_metrics, '{}'),
                                        coalesce(b_buckets, '{}'), coalesce(b_runs, '{}'), coalesce(b_mins, '{}'),
                                        coalesce(b_maxs, '{}'));
  END IF;
  RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS slsa_runs_kpi_insert_hours ON public.slsa_runs;
CREATE TRIGGER slsa_runs_kpi_insert_hours AFTER INSERT ON public.slsa_runs
  REFERENCING NEW TABLE AS slsa_new_runs FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_runs_refresh_kpi_hours();
DROP TRIGGER IF EXISTS slsa_runs_kpi_update_hours ON public.slsa_runs;
CREATE TRIGGER slsa_runs_kpi_update_hours AFTER UPDATE ON public.slsa_runs
  REFERENCING OLD TABLE AS slsa_old_runs NEW TABLE AS slsa_new_runs
  FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_runs_refresh_kpi_hours();
DROP TRIGGER IF EXISTS slsa_runs_kpi_delete_hours ON public.slsa_runs;
CREATE TRIGGER slsa_runs_kpi_delete_hours AFTER DELETE ON public.slsa_runs
  REFERENCING OLD TABLE AS slsa_old_runs FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_runs_refresh_kpi_hours();
DROP TRIGGER IF EXISTS slsa_runs_kpi_truncate_hours ON public.slsa_runs;
CREATE TRIGGER slsa_runs_kpi_truncate_hours AFTER TRUNCATE ON public.slsa_runs
  FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_runs_refresh_kpi_hours();

-- The runs already there.
TRUNCATE public.slsa_kpi_hours, public.slsa_kpi_hour_flags, public.slsa_kpi_org_hour_buckets;
INSERT INTO public.slsa_kpi_hours
SELECT r.repository, public.slsa_kpi_hour(r."timestamp"),
       count(*)::integer,
       count(*) FILTER (WHERE r.status = 'failure')::integer,
       count(*) FILTER (WHERE r.artifact_url IS NULL OR r.governance_flag = 'artifact-missing')::integer,
       count(*) FILTER (WHERE r.validation_status = 'passed')::integer,
       count(*) FILTER (WHERE r.status = 'success')::integer,
       count(*) FILTER (WHERE r.validation_status = 'failed')::integer,
       coalesce(sum(r.notify_attempts), 0)::bigint,
       coalesce(sum(r.notify_delivered), 0)::bigint,
       count(*) FILTER (WHERE r.notify_attempts > 0)::integer,
       count(*) FILTER (WHERE r.notify_attempts > 0 AND r.notify_delivered >= r.notify_attempts)::integer,
       count(*) FILTER (WHERE r.signature_status = 'verified')::integer,
       count(*) FILTER (WHERE r.signature_status = 'unsigned')::integer,
       count(*) FILTER (WHERE r.signature_status = 'invalid')::integer,
       count(*) FILTER (WHERE r.signature_status = 'untrusted')::integer,
       count(*) FILTER (WHERE r.signature_status = 'unverified')::integer,
       count(*) FILTER (WHERE r.missing_since IS NOT NULL)::integer,
       max(r.lag_s),
       max(r.dispatch_token_rotated_at),
       max(r.dispatch_token_expires_at)
  FROM public.slsa_runs r
 GROUP BY 1, 2;
INSERT INTO public.slsa_kpi_hour_flags
SELECT r.repository, public.slsa_kpi_hour(r."timestamp"), r.status, r.governance_flag, count(*)::integer
  FROM public.slsa_runs r
 GROUP BY 1, 2, 3, 4;
INSERT INTO public.slsa_kpi_org_hour_buckets (hour, metric, bucket, runs, min_value, max_value)
SELECT public.slsa_kpi_hour(r."timestamp"), x.metric, width_bucket(x.v, public.slsa_kpi_thresholds()), count(*),
       min(x.v), max(x.v)
  FROM public.slsa_runs r
 CROSS JOIN LATERAL (VALUES (1::smallint, r.lock_wait_s), (2::smallint, r.artifact_upload_latency_s),
                            (3::smallint, r.lag_s), (4::smallint, r.notify_latency_s)) AS x(metric, v)
 WHERE x.v IS NOT NULL
 GROUP BY 1, 2, 3
 ORDER BY 1, 2, 3;

-- The reader's views.
CREATE OR REPLACE VIEW public.provenance_kpi_hours AS
SELECT k.repository, k.hour, k.entries, k.failures, k.missing_artifacts, k.validated, k.success, k.validation_failures,
       k.notify_attempts, k.notify_delivered, k.notified_runs, k.notified_runs_delivered, k.signatures_verified,
       k.signatures_unsigned, k.signatures_invalid, k.signatures_untrusted, k.signatures_unverified,
       k.missing_from_ledger, k.manifest_to_db_lag_s_max, k.dispatch_token_rotated_at, k.dispatch_token_expires_at
  FROM public.slsa_kpi_hours k;
CREATE OR REPLACE VIEW public.provenance_kpi_hour_flags AS
SELECT f.repository, f.hour, f.status, f.governance_flag, f.runs FROM public.slsa_kpi_hour_flags f;
CREATE OR REPLACE VIEW public.provenance_kpi_org_hour_buckets AS
SELECT o.hour, o.metric, o.bucket, o.runs, o.min_value, o.max_value FROM public.slsa_kpi_org_hour_buckets o
 WHERE o.runs > 0;

REVOKE ALL ON TABLE public.slsa_kpi_hours, public.slsa_kpi_hour_flags, public.slsa_kpi_org_hour_buckets FROM PUBLIC;
REVOKE ALL ON TABLE public.slsa_kpi_hours, public.slsa_kpi_hour_flags, public.slsa_kpi_org_hour_buckets FROM slsa_manifest_ingest, slsa_kpi_reader;
REVOKE ALL ON TABLE public.provenance_kpi_hours, public.provenance_kpi_hour_flags, public.provenance_kpi_org_hour_buckets FROM PUBLIC;
GRANT SELECT ON TABLE public.provenance_kpi_hours, public.provenance_kpi_hour_flags, public.provenance_kpi_org_hour_buckets TO slsa_kpi_reader;
REVOKE ALL ON FUNCTION public.slsa_runs_refresh_kpi_hours(),
  public.slsa_kpi_hours_apply(text[], timestamptz[], timestamptz[], smallint[], integer[], bigint[],
                              double precision[], double precision[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.slsa_kpi_hour(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.slsa_kpi_hour(timestamptz) TO slsa_kpi_reader;
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
      EXECUTE format('REVOKE ALL ON TABLE public.slsa_kpi_hours, public.slsa_kpi_hour_flags, public.slsa_kpi_org_hour_buckets, '
                     'public.provenance_kpi_hours, public.provenance_kpi_hour_flags, public.provenance_kpi_org_hour_buckets FROM %I', r);
      EXECUTE format('REVOKE ALL ON FUNCTION public.slsa_runs_refresh_kpi_hours(), public.slsa_kpi_hour(timestamptz), '
                     'public.slsa_kpi_hours_apply(text[], timestamptz[], timestamptz[], smallint[], integer[], bigint[], '
                     'double precision[], double precision[]) FROM %I', r);
    END IF;
  END LOOP;
END
$$;
