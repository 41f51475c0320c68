-- Ingest and KPI reads at organisation scale (issue 17 performance goals), the same rules and results:
--   * the rollup rebuild reads each touched (repository, day) pair's runs by its own index range. As a
--     join it was a merge join on the repository alone with the day's range as a join filter: every
--     pair rescanned all of its repository's runs (92 pairs of a 20,000-run repository read
--     1,860,000 index entries, ~0.8 s a batch, growing with the repository);
--   * the per-repository time index is in byte order (repository COLLATE "C", timestamp) and holds no
--     KPI columns: a read of one repository's time range names that collation, and the ingest's key
--     lookup (repository = …, tag = …, run_id = …) can only use the primary key. With the covering
--     (repository, timestamp) index the planner read each entry's stored run through it with the
--     repository alone as its condition (every run of the repository per entry) whenever its
--     statistics held few runs for that repository;
--   * two indexes nothing reads any more: (run_id) (the run page looks a run up by (tag, run_id) on
--     the (tag COLLATE "C", run_id) index) and (manifest_path) (the upgrade of …20261202170000 read it);
--   * the organisation's histogram per month as well as per day (the same deltas), so a year's report
--     sums ~12 months of rows plus the days at its edges instead of 365 days of rows;
--   * the entry checks' fast paths for times and https URLs without the slow regular expressions
--     (same accepted values: anything else goes to the full check, whose messages are unchanged).

DROP INDEX IF EXISTS public.slsa_runs_run_id_idx;
DROP INDEX IF EXISTS public.slsa_runs_manifest_path_idx;
DROP INDEX IF EXISTS public.slsa_runs_repo_time_idx;
CREATE INDEX IF NOT EXISTS slsa_runs_repo_c_time_idx ON public.slsa_runs ((repository COLLATE "C"), "timestamp");

-- ---------------------------------------------------------------------------------------------
-- The rebuild of (repository, day) pairs, each pair's runs read by its range of the index.
CREATE OR REPLACE FUNCTION public.slsa_kpi_refresh(repositories text[], days date[]) RETURNS void
LANGUAGE plpgsql SET search_path = '' SET jit = off AS $$
BEGIN
  PERFORM pg_catalog.pg_advisory_xact_lock(734029016, pg_catalog.hashtext(p.repository || '|' || p.day::text))
     FROM (SELECT DISTINCT u.repository, u.day FROM unnest(repositories, days) AS u(repository, day)
            WHERE u.day IS NOT NULL ORDER BY 1, 2) p;
  DELETE FROM public.slsa_kpi_days k USING unnest(repositories, days) AS p(repository, day)
   WHERE k.repository = p.repository AND k.day = p.day;
  DELETE FROM public.slsa_kpi_day_flags k USING unnest(repositories, days) AS p(repository, day)
   WHERE k.repository = p.repository AND k.day = p.day;
  DELETE FROM public.slsa_kpi_day_buckets k USING unnest(repositories, days) AS p(repository, day)
   WHERE k.repository = p.repository AND k.day = p.day;
  DELETE FROM public.slsa_kpi_day_manifests k USING unnest(repositories, days) AS p(repository, day)
   WHERE k.repository = p.repository AND k.day = p.day;
  WITH pairs AS (
    SELECT DISTINCT u.repository, u.day FROM unnest(repositories, days) AS u(repository, day) WHERE u.day IS NOT NULL
  ),
  touched AS MATERIALIZED (
    SELECT p.repository, p.day, r."timestamp", r.status, r.artifact_url, r.governance_flag, r.validation_status,
           r.notify_attempts, r.notify_delivered, r.lock_wait_s, r.artifact_upload_latency_s, r.lag_s,
           r.notify_latency_s, r.dispatch_token_rotated_at, r.dispatch_token_expires_at, r.manifest_path,
           r.manifest_hash, r.signature_status, r.missing_since
      FROM pairs p
     CROSS JOIN LATERAL (
       SELECT o."timestamp", o.status, o.artifact_url, o.governance_flag, o.validation_status,
              o.notify_attempts, o.notify_delivered, o.lock_wait_s, o.artifact_upload_latency_s, o.lag_s,
              o.notify_latency_s, o.dispatch_token_rotated_at, o.dispatch_token_expires_at, o.manifest_path,
              o.manifest_hash, o.signature_status, o.missing_since
         FROM public.slsa_runs o
        WHERE o.repository COLLATE "C" = p.repository
          AND o."timestamp" >= (p.day::timestamp AT TIME ZONE 'UTC')
          AND o."timestamp" < ((p.day + 1)::timestamp AT TIME ZONE 'UTC')
       OFFSET 0) r
  ),
  day_rows AS (
    INSERT INTO public.slsa_kpi_days
    SELECT t.repository, t.day,
           count(*)::integer,
           count(*) FILTER (WHERE t.status = 'failure')::integer,
           count(*) FILTER (WHERE t.artifact_url IS NULL OR t.governance_flag = 'artifact-missing')::integer,
           count(*) FILTER (WHERE t.validation_status = 'passed')::integer,
           count(*) FILTER (WHERE t.validation_status = 'failed')::integer,
           coalesce(sum(t.notify_attempts), 0)::bigint,
           coalesce(sum(t.notify_delivered), 0)::bigint,
           count(*) FILTER (WHERE t.notify_attempts > 0)::integer,
           count(*) FILTER (WHERE t.notify_attempts > 0 AND t.notify_delivered >= t.notify_attempts)::integer,
           count(*) FILTER (WHERE t.signature_status = 'verified')::integer,
           count(*) FILTER (WHERE t.signature_status = 'unsigned')::integer,
           count(*) FILTER (WHERE t.signature_status = 'invalid')::integer,
           count(*) FILTER (WHERE t.signature_status = 'untrusted')::integer,
           count(*) FILTER (WHERE t.signature_status = 'unverified')::integer,
           count(*) FILTER (WHERE t.missing_since IS NOT NULL)::integer,
           max(t."timestamp"),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY t.lock_wait_s),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY t.lock_wait_s),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY t.artifact_upload_latency_s),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY t.artifact_upload_latency_s),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY t.lag_s),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY t.lag_s),
           max(t.lag_s),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY t.notify_latency_s),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY t.notify_latency_s),
           max(t.dispatch_token_rotated_at),
           max(t.dispatch_token_expires_at)
      FROM touched t
     GROUP BY t.repository, t.day
  ),
  flag_rows AS (
    INSERT INTO public.slsa_kpi_day_flags
    SELECT t.repository, t.day, t.status, t.governance_flag, count(*)::integer FROM touched t GROUP BY 1, 2, 3, 4
  ),
  bucket_rows AS (
    INSERT INTO public.slsa_kpi_day_buckets
    SELECT t.repository, t.day, x.metric, width_bucket(x.v, public.slsa_kpi_thresholds()), count(*)::integer,
           min(x.v), max(x.v)
      FROM touched t
     CROSS JOIN LATERAL (VALUES (1::smallint, t.lock_wait_s), (2::smallint, t.artifact_upload_latency_s),
                                (3::smallint, t.lag_s), (4::smallint, t.notify_latency_s)) AS x(metric, v)
     WHERE x.v IS NOT NULL
     GROUP BY 1, 2, 3, 4
  )
  INSERT INTO public.slsa_kpi_day_manifests
  SELECT t.repository, t.day, t.manifest_path, min(t.manifest_hash) FROM touched t GROUP BY 1, 2, 3;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- The organisation's histogram per month (first day of the UTC month), kept by the same deltas as
-- the per-day one: counts add, bounds only widen.
CREATE TABLE IF NOT EXISTS public.slsa_kpi_org_month_buckets (
  month date NOT NULL,
  metric smallint NOT NULL,
  bucket integer NOT NULL,
  runs bigint NOT NULL,
  min_value double precision NOT NULL,
  max_value double precision NOT NULL,
  PRIMARY KEY (month, metric, bucket)
);
TRUNCATE public.slsa_kpi_org_month_buckets;
INSERT INTO public.slsa_kpi_org_month_buckets (month, metric, bucket, runs, min_value, max_value)
SELECT date_trunc('month', b.day)::date, b.metric, b.bucket, sum(b.runs), min(b.min_value), max(b.max_value)
  FROM public.slsa_kpi_org_buckets b GROUP BY 1, 2, 3;

-- The statement triggers (as in …20261202170000, with the month rows): the (repository, day) pairs a
-- statement inserted, changed (old and new) or deleted are rebuilt; the organisation's day and month
-- histograms get the statement's delta, their rows in key order (two writers lock them alike).
CREATE OR REPLACE FUNCTION public.slsa_runs_refresh_kpi() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' SET jit = off AS $$
DECLARE
  v_repos text[];
  v_days date[];
BEGIN
  IF tg_op = 'TRUNCATE' THEN
    TRUNCATE public.slsa_kpi_days, public.slsa_kpi_day_flags, public.slsa_kpi_day_buckets,
      public.slsa_kpi_day_manifests, public.slsa_kpi_org_buckets, public.slsa_kpi_org_month_buckets;
    RETURN NULL;
  ELSIF tg_op = 'INSERT' THEN
    WITH delta AS MATERIALIZED (
      SELECT (n."timestamp" AT TIME ZONE 'UTC')::date AS day, x.metric,
             width_bucket(x.v, public.slsa_kpi_thresholds()) AS bucket, count(*) AS runs, min(x.v) AS min_value,
             max(x.v) AS max_value
        FROM slsa_new_runs n
       CROSS JOIN LATERAL (VALUES (1::smallint, n.lock_wait_s), (2::smallint, n.artifact_upload_latency_s),
                                  (3::smallint, n.lag_s), (4::smallint, n.notify_latency_s)) AS x(metric, v)
       WHERE x.v IS NOT NULL
       GROUP BY 1, 2, 3
    ),
    days AS (
      INSERT INTO public.slsa_kpi_org_buckets AS o (day, metric, bucket, runs, min_value, max_value)
      SELECT d.day, d.metric, d.bucket, d.runs, d.min_value, d.max_value FROM delta d ORDER BY 1, 2, 3
      ON CONFLICT (day, metric, bucket) DO UPDATE
         SET runs = o.runs + excluded.runs, min_value = least(o.min_value, excluded.min_value),
             max_value = greatest(o.max_value, excluded.max_value)
      RETURNING 1
    )
    INSERT INTO public.slsa_kpi_org_month_buckets AS o (month, metric, bucket, runs, min_value, max_value)
    SELECT date_trunc('month', d.day)::date, d.metric, d.bucket, sum(d.runs), min(d.min_value), max(d.max_value)
      FROM delta d, (SELECT count(*) FROM days) w
     GROUP BY 1, 2, 3
     ORDER BY 1, 2, 3
    ON CONFLICT (month, metric, bucket) DO UPDATE
       SET runs = o.runs + excluded.runs, min_value = least(o.min_value, excluded.min_value),
           max_value = greatest(o.max_value, excluded.max_value);
    SELECT array_agg(x.repository), array_agg(x.day) INTO v_repos, v_days
      FROM (SELECT DISTINCT n.repository, (n."timestamp" AT TIME ZONE 'UTC')::date AS day FROM slsa_new_runs n) x;
  ELSIF tg_op = 'UPDATE' THEN
    -- old rows count -1 (their bounds are not narrowed), new rows +1 and may widen the bounds
    WITH delta AS MATERIALIZED (
      SELECT d.day, d.metric, d.bucket, sum(d.n) AS runs, coalesce(min(d.v) FILTER (WHERE d.n > 0), 'NaN') AS min_value,
             coalesce(max(d.v) FILTER (WHERE d.n > 0), 'NaN') AS max_value
        FROM (SELECT (c."timestamp" AT TIME ZONE 'UTC')::date AS day, x.metric,
                     width_bucket(x.v, public.slsa_kpi_thresholds()) AS bucket, c.n, x.v
                FROM (SELECT o."timestamp", o.lock_wait_s, o.artifact_upload_latency_s, o.lag_s, o.notify_latency_s, -1 AS n
                        FROM slsa_old_runs o
                      UNION ALL
                      SELECT n."timestamp", n.lock_wait_s, n.artifact_upload_latency_s, n.lag_s, n.notify_latency_s, 1
                        FROM slsa_new_runs n) c
               CROSS JOIN LATERAL (VALUES (1::smallint, c.lock_wait_s), (2::smallint, c.artifact_upload_latency_s),
                                          (3::smallint, c.lag_s), (4::smallint, c.notify_latency_s)) AS x(metric, v)
               WHERE x.v IS NOT NULL) d
       GROUP BY 1, 2, 3
      HAVING sum(d.n) <> 0 OR count(*) FILTER (WHERE d.n > 0) > 0
    ),
    days AS (
      INSERT INTO public.slsa_kpi_org_buckets AS o (day, metric, bucket, runs, min_value, max_value)
      SELECT d.day, d.metric, d.bucket, d.runs, d.min_value, d.max_value FROM delta d ORDER BY 1, 2, 3
      ON CONFLICT (day, metric, bucket) DO UPDATE
         SET runs = o.runs + excluded.runs,
             min_value = CASE WHEN excluded.min_value = 'NaN' THEN o.min_value ELSE least(o.min_value, excluded.min_value) END,
             max_value = CASE WHEN excluded.max_value = 'NaN' THEN o.max_value ELSE greatest(o.max_value, excluded.max_value) END
      RETURNING 1
    )
    INSERT INTO public.slsa_kpi_org_month_buckets AS o (month, metric, bucket, runs, min_value, max_value)
    SELECT m.month, m.metric, m.bucket, m.runs, coalesce(m.min_value, 'NaN'), coalesce(m.max_value, 'NaN')
      FROM (SELECT date_trunc('month', d.day)::date AS month, d.metric, d.bucket, sum(d.runs) AS runs,
                   min(d.min_value) FILTER (WHERE d.min_value <> 'NaN') AS min_value,
                   max(d.max_value) FILTER (WHERE d.max_value <> 'NaN') AS max_value
              FROM delta d, (SELECT count(*) FROM days) w
             GROUP BY 1, 2, 3) m
     ORDER BY 1, 2, 3
    ON CONFLICT (month, metric, bucket) DO UPDATE
       SET runs = o.runs + excluded.runs,
           min_value = CASE WHEN excluded.min_value = 'NaN' THEN o.min_value ELSE least(o.min_value, excluded.min_value) END,
           max_value = CASE WHEN excluded.max_value = 'NaN' THEN o.max_value ELSE greatest(o.max_value, excluded.max_value) END;
    SELECT array_agg(x.repository), array_agg(x.day) INTO v_repos, v_days
      FROM (SELECT n.repository, (n."timestamp" AT TIME ZONE 'UTC')::date AS day FROM slsa_new_runs n
            UNION
            SELECT o.repository, (o."timestamp" AT TIME ZONE 'UTC')::date FROM slsa_old_runs o) x;
  ELSE
    WITH delta AS MATERIALIZED (
      SELECT (r."timestamp" AT TIME ZONE 'UTC')::date AS day, x.metric,
             width_bucket(x.v, public.slsa_kpi_thresholds()) AS bucket, -count(*) AS runs
        FROM slsa_old_runs r
       CROSS JOIN LATERAL (VALUES (1::smallint, r.lock_wait_s), (2::smallint, r.artifact_upload_latency_s),
                                  (3::smallint, r.lag_s), (4::smallint, r.notify_latency_s)) AS x(metric, v)
       WHERE x.v IS NOT NULL
       GROUP BY 1, 2, 3
    ),
    days AS (
      INSERT INTO public.slsa_kpi_org_buckets AS o (day, metric, bucket, runs, min_value, max_value)
      SELECT d.day, d.metric, d.bucket, d.runs, 'NaN', 'NaN' FROM delta d ORDER BY 1, 2, 3
      ON CONFLICT (day, metric, bucket) DO UPDATE SET runs = o.runs + excluded.runs
      RETURNING 1
    )
    INSERT INTO public.slsa_kpi_org_month_buckets AS o (month, metric, bucket, runs, min_value, max_value)
    SELECT date_trunc('month', d.day)::date, d.metric, d.bucket, sum(d.runs), 'NaN', 'NaN'
      FROM delta d, (SELECT count(*) FROM days) w
     GROUP BY 1, 2, 3
     ORDER BY 1, 2, 3
    ON CONFLICT (month, metric, bucket) DO UPDATE SET runs = o.runs + excluded.runs;
    SELECT array_agg(x.repository), array_agg(x.day) INTO v_repos, v_days
      FROM (SELECT DISTINCT o.repository, (o."timestamp" AT TIME ZONE 'UTC')::date AS day FROM slsa_old_runs o) x;
  END IF;
  IF v_days IS NOT NULL THEN
    PERFORM public.slsa_kpi_refresh(v_repos, v_days);
  END IF;
  RETURN NULL;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Faster fast paths for the entry checks (the full checks of …040000 stay the fallback).

-- Years 1970-9999, months 01-12, days 01-28, hours 00-23, minutes and seconds 00-59, an optional
-- fraction of 1-9 digits, then Z: the shape by one translate() instead of a regular expression.
CREATE OR REPLACE FUNCTION public.slsa_check_timestamp(v jsonb, name text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN jsonb_typeof(v) = 'string'
                   AND translate(v #>> '{}', '0123456789', '0000000000') IN (
                     '0000-00-00T00:00:00Z', '0000-00-00T00:00:00.0Z', '0000-00-00T00:00:00.00Z',
                     '0000-00-00T00:00:00.000Z', '0000-00-00T00:00:00.0000Z', '0000-00-00T00:00:00.00000Z',
                     '0000-00-00T00:00:00.000000Z', '0000-00-00T00:00:00.0000000Z',
                     '0000-00-00T00:00:00.00000000Z', '0000-00-00T00:00:00.000000000Z')
                   AND substr(v #>> '{}', 1, 4)::integer >= 1970
                   AND substr(v #>> '{}', 6, 2)::integer BETWEEN 1 AND 12
                   AND substr(v #>> '{}', 9, 2)::integer BETWEEN 1 AND 28
                   AND substr(v #>> '{}', 12, 2)::integer <= 23
                   AND substr(v #>> '{}', 15, 2)::integer <= 59
                   AND substr(v #>> '{}', 18, 2)::integer <= 59
                THEN NULL
              ELSE public.slsa_check_timestamp_full(v, name) END
$$;

-- https://host[:port][/printable ASCII without spaces], at most 2048 (as in …040000): printable
-- ASCII throughout, the scheme, and the part before the next '/' a host name with an optional port.
CREATE OR REPLACE FUNCTION public.slsa_check_url(v jsonb, name text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN jsonb_typeof(v) = 'string' AND left(v #>> '{}', 8) = 'https://'
                   AND octet_length(v #>> '{}') <= 2048 AND (v #>> '{}') !~ '[^!-~]'
                   AND split_part(v #>> '{}', '/', 3) ~ '^[A-Za-z0-9.-]+(:[0-9]{1,5})?$'
                THEN NULL
              ELSE public.slsa_check_url_full(v, name) END
$$;

-- ---------------------------------------------------------------------------------------------
-- The reader's view of the month histogram, and the grants.
CREATE OR REPLACE VIEW public.provenance_kpi_org_month_buckets AS
SELECT o.month, o.metric, o.bucket, o.runs, o.min_value, o.max_value FROM public.slsa_kpi_org_month_buckets o
 WHERE o.runs > 0;

REVOKE ALL ON TABLE public.slsa_kpi_org_month_buckets FROM PUBLIC;
REVOKE ALL ON TABLE public.slsa_kpi_org_month_buckets FROM slsa_manifest_ingest, slsa_kpi_reader;
REVOKE ALL ON TABLE public.provenance_kpi_org_month_buckets FROM PUBLIC;
GRANT SELECT ON TABLE public.provenance_kpi_org_month_buckets TO slsa_kpi_reader;
REVOKE ALL ON FUNCTION public.slsa_kpi_refresh(text[], date[]), public.slsa_runs_refresh_kpi(),
  public.slsa_check_timestamp(jsonb, text), public.slsa_check_url(jsonb, text) FROM PUBLIC;
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
      EXECUTE format('REVOKE ALL ON TABLE public.slsa_kpi_org_month_buckets, public.provenance_kpi_org_month_buckets FROM %I', r);
      EXECUTE format('REVOKE ALL ON FUNCTION public.slsa_kpi_refresh(text[], date[]), public.slsa_runs_refresh_kpi(), '
                     'public.slsa_check_timestamp(jsonb, text), public.slsa_check_url(jsonb, text) FROM %I', r);
    END IF;
  END LOOP;
END
$$;
