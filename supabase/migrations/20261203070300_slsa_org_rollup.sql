-- The organisation's counts per UTC day and per UTC month (issue 17: a year of 100 repositories read
-- 36,500 per-(repository, day) rows, and ~110,000 status/flag rows, for every report): rebuilt, for the
-- days a statement touched, from the per-(repository, day) rows (at most one per repository), and their
-- months from the days. Exact like the rows they sum; a report of the organisation reads whole months,
-- the other whole days and its two partial edge days (src/io/kpi-queries.ts).

CREATE TABLE IF NOT EXISTS public.slsa_kpi_org_days (
  day date PRIMARY KEY,
  entries bigint NOT NULL,
  failures bigint NOT NULL,
  missing_artifacts bigint NOT NULL,
  validated bigint NOT NULL,
  validation_failures bigint NOT NULL,
  notify_attempts bigint NOT NULL,
  notify_delivered bigint NOT NULL,
  notified_runs bigint NOT NULL,
  notified_runs_delivered bigint NOT NULL,
  signatures_verified bigint NOT NULL,
  signatures_unsigned bigint NOT NULL,
  signatures_invalid bigint NOT NULL,
  signatures_untrusted bigint NOT NULL,
  signatures_unverified bigint NOT NULL,
  missing_from_ledger bigint NOT NULL,
  manifest_to_db_lag_s_max double precision,
  -- the largest of the repositories' per-day lag p95 (the dashboard's chart for several repositories)
  worst_lag_s_p95 double precision,
  dispatch_token_rotated_at timestamptz,
  dispatch_token_expires_at timestamptz
);
CREATE TABLE IF NOT EXISTS public.slsa_kpi_org_months (
  month date PRIMARY KEY,
  entries bigint NOT NULL,
  failures bigint NOT NULL,
  missing_artifacts bigint NOT NULL,
  validated bigint NOT NULL,
  validation_failures bigint NOT NULL,
  notify_attempts bigint NOT NULL,
  notify_delivered bigint NOT NULL,
  notified_runs bigint NOT NULL,
  notified_runs_delivered bigint NOT NULL,
  signatures_verified bigint NOT NULL,
  signatures_unsigned bigint NOT NULL,
  signatures_invalid bigint NOT NULL,
  signatures_untrusted bigint NOT NULL,
  signatures_unverified bigint NOT NULL,
  missing_from_ledger bigint NOT NULL,
  manifest_to_db_lag_s_max double precision,
  -- the largest of the repositories' per-day lag p95 (the dashboard's chart for several repositories)
  worst_lag_s_p95 double precision,
  dispatch_token_rotated_at timestamptz,
  dispatch_token_expires_at timestamptz
);
CREATE TABLE IF NOT EXISTS public.slsa_kpi_org_day_flags (
  day date NOT NULL,
  status text NOT NULL,
  governance_flag text,
  runs bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS slsa_kpi_org_day_flags_day_idx ON public.slsa_kpi_org_day_flags (day);
CREATE TABLE IF NOT EXISTS public.slsa_kpi_org_month_flags (
  month date NOT NULL,
  status text NOT NULL,
  governance_flag text,
  runs bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS slsa_kpi_org_month_flags_month_idx ON public.slsa_kpi_org_month_flags (month);

-- The rebuild of (repository, day) pairs (as in …070000), then the organisation's days and months.
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

  -- The organisation's rows of the touched days, then of their months, from the per-(repository, day)
  -- rows just written (a day's rows of every repository; a month's days). Writers take turns per day
  -- and per month (advisory locks in order), so each rebuild reads the other writers' committed rows.
  PERFORM pg_catalog.pg_advisory_xact_lock(734029018, d.day - DATE '2000-01-01')
     FROM (SELECT DISTINCT u.day FROM unnest(days) AS u(day) WHERE u.day IS NOT NULL ORDER BY 1) d;
  PERFORM pg_catalog.pg_advisory_xact_lock(734029019, m.month - DATE '2000-01-01')
     FROM (SELECT DISTINCT date_trunc('month', u.day)::date AS month FROM unnest(days) AS u(day)
            WHERE u.day IS NOT NULL ORDER BY 1) m;
  DELETE FROM public.slsa_kpi_org_days o WHERE o.day = ANY(days);
  INSERT INTO public.slsa_kpi_org_days
  SELECT k.day, sum(k.entries), sum(k.failures), sum(k.missing_artifacts), sum(k.validated), sum(k.validation_failures),
         sum(k.notify_attempts), sum(k.notify_delivered), sum(k.notified_runs), sum(k.notified_runs_delivered),
         sum(k.signatures_verified), sum(k.signatures_unsigned), sum(k.signatures_invalid), sum(k.signatures_untrusted),
         sum(k.signatures_unverified), sum(k.missing_from_ledger), max(k.manifest_to_db_lag_s_max),
         max(k.manifest_to_db_lag_s_p95), max(k.dispatch_token_rotated_at), max(k.dispatch_token_expires_at)
    FROM public.slsa_kpi_days k
   WHERE k.day = ANY(days)
   GROUP BY k.day;
  DELETE FROM public.slsa_kpi_org_day_flags o WHERE o.day = ANY(days);
  INSERT INTO public.slsa_kpi_org_day_flags
  SELECT f.day, f.status, f.governance_flag, sum(f.runs)
    FROM public.slsa_kpi_day_flags f
   WHERE f.day = ANY(days)
   GROUP BY 1, 2, 3;
  DELETE FROM public.slsa_kpi_org_months o
   WHERE o.month = ANY(SELECT date_trunc('month', u.day)::date FROM unnest(days) AS u(day));
  INSERT INTO public.slsa_kpi_org_months
  SELECT date_trunc('month', k.day)::date, sum(k.entries), sum(k.failures), sum(k.missing_artifacts), sum(k.validated),
         sum(k.validation_failures), sum(k.notify_attempts), sum(k.notify_delivered), sum(k.notified_runs),
         sum(k.notified_runs_delivered), sum(k.signatures_verified), sum(k.signatures_unsigned),
         sum(k.signatures_invalid), sum(k.signatures_untrusted), sum(k.signatures_unverified),
         sum(k.missing_from_ledger), max(k.manifest_to_db_lag_s_max), max(k.worst_lag_s_p95),
         max(k.dispatch_token_rotated_at), max(k.dispatch_token_expires_at)
    FROM public.slsa_kpi_org_days k
    JOIN (SELECT DISTINCT date_trunc('month', u.day)::date AS month FROM unnest(days) AS u(day) WHERE u.day IS NOT NULL) m
      ON k.day >= m.month AND k.day < (m.month + interval '1 month')::date
   GROUP BY 1;
  DELETE FROM public.slsa_kpi_org_month_flags o
   WHERE o.month = ANY(SELECT date_trunc('month', u.day)::date FROM unnest(days) AS u(day));
  INSERT INTO public.slsa_kpi_org_month_flags
  SELECT m.month, f.status, f.governance_flag, sum(f.runs)
    FROM public.slsa_kpi_org_day_flags f
    JOIN (SELECT DISTINCT date_trunc('month', u.day)::date AS month FROM unnest(days) AS u(day) WHERE u.day IS NOT NULL) m
      ON f.day >= m.month AND f.day < (m.month + interval '1 month')::date
   GROUP BY 1, 2, 3;
END
$$;

-- A TRUNCATE of the runs empties these too (the rollup's own TRUNCATE trigger empties the rest).
CREATE OR REPLACE FUNCTION public.slsa_runs_truncate_org_kpi() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
  TRUNCATE public.slsa_kpi_org_days, public.slsa_kpi_org_months, public.slsa_kpi_org_day_flags,
    public.slsa_kpi_org_month_flags;
  RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS slsa_runs_kpi_org_truncate ON public.slsa_runs;
CREATE TRIGGER slsa_runs_kpi_org_truncate AFTER TRUNCATE ON public.slsa_runs
  FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_runs_truncate_org_kpi();

-- The runs already there.
TRUNCATE public.slsa_kpi_org_days, public.slsa_kpi_org_months, public.slsa_kpi_org_day_flags,
  public.slsa_kpi_org_month_flags;
INSERT INTO public.slsa_kpi_org_days
SELECT k.day, sum(k.entries), sum(k.failures), sum(k.missing_artifacts), sum(k.validated), sum(k.validation_failures),
       sum(k.notify_attempts), sum(k.notify_delivered), sum(k.notified_runs), sum(k.notified_runs_delivered),
       sum(k.signatures_verified), sum(k.signatures_unsigned), sum(k.signatures_invalid), sum(k.signatures_untrusted),
       sum(k.signatures_unverified), sum(k.missing_from_ledger), max(k.manifest_to_db_lag_s_max),
       max(k.manifest_to_db_lag_s_p95), max(k.dispatch_token_rotated_at), max(k.dispatch_token_expires_at)
  FROM public.slsa_kpi_days k GROUP BY k.day;
INSERT INTO public.slsa_kpi_org_day_flags
SELECT f.day, f.status, f.governance_flag, sum(f.runs) FROM public.slsa_kpi_day_flags f GROUP BY 1, 2, 3;
INSERT INTO public.slsa_kpi_org_months
SELECT date_trunc('month', k.day)::date, sum(k.entries), sum(k.failures), sum(k.missing_artifacts), sum(k.validated),
       sum(k.validation_failures), sum(k.notify_attempts), sum(k.notify_delivered), sum(k.notified_runs),
       sum(k.notified_runs_delivered), sum(k.signatures_verified), sum(k.signatures_unsigned),
       sum(k.signatures_invalid), sum(k.signatures_untrusted), sum(k.signatures_unverified),
       sum(k.missing_from_ledger), max(k.manifest_to_db_lag_s_max), max(k.worst_lag_s_p95),
       max(k.dispatch_token_rotated_at), max(k.dispatch_token_expires_at)
  FROM public.slsa_kpi_org_days k GROUP BY 1;
INSERT INTO public.slsa_kpi_org_month_flags
SELECT date_trunc('month', f.day)::date, f.status, f.governance_flag, sum(f.runs)
  FROM public.slsa_kpi_org_day_flags f GROUP BY 1, 2, 3;

-- The reader's views.
CREATE OR REPLACE VIEW public.provenance_kpi_org_daily AS
SELECT o.day, o.entries, o.failures, o.missing_artifacts, o.validated, o.validation_failures, o.notify_attempts,
       o.notify_delivered, o.notified_runs, o.notified_runs_delivered, o.signatures_verified, o.signatures_unsigned,
       o.signatures_invalid, o.signatures_untrusted, o.signatures_unverified, o.missing_from_ledger,
       o.manifest_to_db_lag_s_max, o.worst_lag_s_p95, o.dispatch_token_rotated_at, o.dispatch_token_expires_at
  FROM public.slsa_kpi_org_days o;
CREATE OR REPLACE VIEW public.provenance_kpi_org_monthly AS
SELECT o.month, o.entries, o.failures, o.missing_artifacts, o.validated, o.validation_failures, o.notify_attempts,
       o.notify_delivered, o.notified_runs, o.notified_runs_delivered, o.signatures_verified, o.signatures_unsigned,
       o.signatures_invalid, o.signatures_untrusted, o.signatures_unverified, o.missing_from_ledger,
       o.manifest_to_db_lag_s_max, o.worst_lag_s_p95, o.dispatch_token_rotated_at, o.dispatch_token_expires_at
  FROM public.slsa_kpi_org_months o;
CREATE OR REPLACE VIEW public.provenance_kpi_org_day_flags AS
SELECT f.day, f.status, f.governance_flag, f.runs FROM public.slsa_kpi_org_day_flags f;
CREATE OR REPLACE VIEW public.provenance_kpi_org_month_flags AS
SELECT f.month, f.status, f.governance_flag, f.runs FROM public.slsa_kpi_org_month_flags f;

REVOKE ALL ON TABLE public.slsa_kpi_org_days, public.slsa_kpi_org_months, public.slsa_kpi_org_day_flags,
  public.slsa_kpi_org_month_flags FROM PUBLIC;
REVOKE ALL ON TABLE public.slsa_kpi_org_days, public.slsa_kpi_org_months, public.slsa_kpi_org_day_flags,
  public.slsa_kpi_org_month_flags FROM slsa_manifest_ingest, slsa_kpi_reader;
REVOKE ALL ON TABLE public.provenance_kpi_org_daily, public.provenance_kpi_org_monthly,
  public.provenance_kpi_org_day_flags, public.provenance_kpi_org_month_flags FROM PUBLIC;
GRANT SELECT ON TABLE public.provenance_kpi_org_daily, public.provenance_kpi_org_monthly,
  public.provenance_kpi_org_day_flags, public.provenance_kpi_org_month_flags TO slsa_kpi_reader;
REVOKE ALL ON FUNCTION public.slsa_kpi_refresh(text[], date[]), public.slsa_runs_truncate_org_kpi() FROM PUBLIC;
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
      EXECUTE format('REVOKE ALL ON TABLE public.slsa_kpi_org_days, public.slsa_kpi_org_months, '
                     'public.slsa_kpi_org_day_flags, public.slsa_kpi_org_month_flags, public.provenance_kpi_org_daily, '
                     'public.provenance_kpi_org_monthly, public.provenance_kpi_org_day_flags, '
                     'public.provenance_kpi_org_month_flags FROM %I', r);
      EXECUTE format('REVOKE ALL ON FUNCTION public.slsa_kpi_refresh(text[], date[]), '
                     'public.slsa_runs_truncate_org_kpi() FROM %I', r);
    END IF;
  END LOOP;
END
$$;
