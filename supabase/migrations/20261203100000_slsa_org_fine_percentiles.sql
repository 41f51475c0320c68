-- The organisation's percentiles at a cost set by the window's histogram, not by all history (issue 17).
--
-- Before: a rank the histogram placed in a bucket (9% wide) was read from the metric's
-- (bucket, value) index over ALL time, skipping every run outside the window: ~5-9% of all runs a
-- read. Now the bucket is split 32 ways (each sub-bucket ~0.3% wide) and the organisation keeps the
-- sub-bucket counts per UTC day and per UTC month; the window's sub-bucket counts within the rank's
-- bucket say in which sub-bucket the rank lies, and the read is that sub-bucket's runs inside the
-- window, one range of an index led by (sub-bucket, timestamp). The four (bucket, value) indexes are
-- replaced by those four indexes.

-- The fine bucket: the bucket of slsa_kpi_thresholds() times 64, plus its 32 equal parts
-- (width_bucket(v, lower, upper, 32), 1-33; 0 below the first threshold and above the last).
-- Non-decreasing in v (both parts are, IEEE arithmetic being monotonic), which is all exactness needs:
-- every value of a fine bucket lies below every value of the next one.
CREATE OR REPLACE FUNCTION public.slsa_kpi_fine_bucket(v double precision) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT width_bucket(v, public.slsa_kpi_thresholds()) * 64
         + coalesce(width_bucket(v, (public.slsa_kpi_thresholds())[width_bucket(v, public.slsa_kpi_thresholds())],
                                 (public.slsa_kpi_thresholds())[width_bucket(v, public.slsa_kpi_thresholds()) + 1], 32), 0)
$$;

-- Per (metric, bucket, day) the runs of each part (sub, 0-33; the fine bucket is bucket * 64 + sub):
-- a bucket's parts over a window's days are one range of the key, read index-only (runs in the key's
-- index).
CREATE TABLE IF NOT EXISTS public.slsa_kpi_org_fine_days (
  metric smallint NOT NULL,
  bucket integer NOT NULL,
  day date NOT NULL,
  sub smallint NOT NULL,
  runs bigint NOT NULL,
  PRIMARY KEY (metric, bucket, day, sub) INCLUDE (runs)
);
CREATE TABLE IF NOT EXISTS public.slsa_kpi_org_fine_months (
  metric smallint NOT NULL,
  bucket integer NOT NULL,
  month date NOT NULL,
  sub smallint NOT NULL,
  runs bigint NOT NULL,
  PRIMARY KEY (metric, bucket, month, sub) INCLUDE (runs)
);

-- Kept by each statement's delta (runs added minus runs removed), rows in key order so two writers
-- lock them alike. The delta goes from the trigger to the upserts as arrays (no temporary table a
-- session could plant under the same name).
CREATE OR REPLACE FUNCTION public.slsa_kpi_fine_apply(p_metrics smallint[], p_fines integer[], p_days date[], p_runs bigint[])
RETURNS void
LANGUAGE sql SET search_path = '' AS $$
  INSERT INTO public.slsa_kpi_org_fine_days AS o (metric, bucket, day, sub, runs)
  SELECT d.metric, d.fine / 64, d.day, (d.fine % 64)::smallint, d.runs
    FROM unnest(p_metrics, p_fines, p_days, p_runs) AS d(metric, fine, day, runs)
   ORDER BY 1, 2, 3, 4
  ON CONFLICT (metric, bucket, day, sub) DO UPDATE SET runs = o.runs + excluded.runs;
  INSERT INTO public.slsa_kpi_org_fine_months AS o (metric, bucket, month, sub, runs)
  SELECT d.metric, d.fine / 64, date_trunc('month', d.day)::date, (d.fine % 64)::smallint, sum(d.runs)
    FROM unnest(p_metrics, p_fines, p_days, p_runs) AS d(metric, fine, day, runs)
   GROUP BY 1, 2, 3, 4
  HAVING sum(d.runs) <> 0
   ORDER BY 1, 2, 3, 4
  ON CONFLICT (metric, bucket, month, sub) DO UPDATE SET runs = o.runs + excluded.runs;
$$;

CREATE OR REPLACE FUNCTION public.slsa_runs_refresh_kpi_fine() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' SET jit = off AS $$
DECLARE
  v_metrics smallint[];
  v_fines integer[];
  v_days date[];
  v_runs bigint[];
BEGIN
  IF tg_op = 'TRUNCATE' THEN
    TRUNCATE public.slsa_kpi_org_fine_days, public.slsa_kpi_org_fine_months;
    RETURN NULL;
  ELSIF tg_op = 'INSERT' THEN
    SELECT array_agg(d.metric), array_agg(d.fine), array_agg(d.day), array_agg(d.runs)
      INTO v_metrics, v_fines, v_days, v_runs
      FROM (SELECT x.metric, public.slsa_kpi_fine_bucket(x.v) AS fine, (c."timestamp" AT TIME ZONE 'UTC')::date AS day,
                   count(*) AS runs
              FROM slsa_new_runs c
             CROSS JOIN LATERAL (VALUES (1::smallint, c.lock_wait_s), (2::smallint, c.artifact_upload_latency_s),
                                        (3::smallint, c.lag_s), (4::smallint, c.notify_latency_s)) AS x(metric, v)
             WHERE x.v IS NOT NULL
             GROUP BY 1, 2, 3) d;
  ELSIF tg_op = 'UPDATE' THEN
    SELECT array_agg(d.metric), array_agg(d.fine), array_agg(d.day), array_agg(d.runs)
      INTO v_metrics, v_fines, v_days, v_runs
      FROM (SELECT x.metric, public.slsa_kpi_fine_bucket(x.v) AS fine, (c."timestamp" AT TIME ZONE 'UTC')::date AS day,
                   sum(c.n) AS runs
              FROM (SELECT o."timestamp", o.lock_wait_s, o.artifact_upload_latency_s, o.lag_s, o.notify_latency_s, -1 AS n
                      FROM slsa_old_runs o
                    UNION ALL
                    SELECT n."timestamp", n.lock_wait_s, n.artifact_upload_latency_s, n.lag_s, n.notify_latency_s, 1
                      FROM slsa_new_runs n) c
             CROSS JOIN LATERAL (VALUES (1::smallint, c.lock_wait_s), (2::smallint, c.artifact_upload_latency_s),
                                        (3::smallint, c.lag_s), (4::smallint, c.notify_latency_s)) AS x(metric, v)
             WHERE x.v IS NOT NULL
             GROUP BY 1, 2, 3
            HAVING sum(c.n) <> 0) d;
  ELSE
    SELECT array_agg(d.metric), array_agg(d.fine), array_agg(d.day), array_agg(d.runs)
      INTO v_metrics, v_fines, v_days, v_runs
      FROM (SELECT x.metric, public.slsa_kpi_fine_bucket(x.v) AS fine, (c."timestamp" AT TIME ZONE 'UTC')::date AS day,
                   -count(*) AS runs
              FROM slsa_old_runs c
             CROSS JOIN LATERAL (VALUES (1::smallint, c.lock_wait_s), (2::smallint, c.artifact_upload_latency_s),
                                        (3::smallint, c.lag_s), (4::smallint, c.notify_latency_s)) AS x(metric, v)
             WHERE x.v IS NOT NULL
             GROUP BY 1, 2, 3) d;
  END IF;
  IF v_metrics IS NOT NULL THEN
    PERFORM public.slsa_kpi_fine_apply(v_metrics, v_fines, v_days, v_runs);
  END IF;
  RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS slsa_runs_kpi_fine_insert ON public.slsa_runs;
CREATE TRIGGER slsa_runs_kpi_fine_insert AFTER INSERT ON public.slsa_runs
  REFERENCING NEW TABLE AS slsa_new_runs FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_runs_refresh_kpi_fine();
DROP TRIGGER IF EXISTS slsa_runs_kpi_fine_update ON public.slsa_runs;
CREATE TRIGGER slsa_runs_kpi_fine_update AFTER UPDATE ON public.slsa_runs
  REFERENCING OLD TABLE AS slsa_old_runs NEW TABLE AS slsa_new_runs
  FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_runs_refresh_kpi_fine();
DROP TRIGGER IF EXISTS slsa_runs_kpi_fine_delete ON public.slsa_runs;
CREATE TRIGGER slsa_runs_kpi_fine_delete AFTER DELETE ON public.slsa_runs
  REFERENCING OLD TABLE AS slsa_old_runs FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_runs_refresh_kpi_fine();
DROP TRIGGER IF EXISTS slsa_runs_kpi_fine_truncate ON public.slsa_runs;
CREATE TRIGGER slsa_runs_kpi_fine_truncate AFTER TRUNCATE ON public.slsa_runs
  FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_runs_refresh_kpi_fine();

-- The runs already there.
TRUNCATE public.slsa_kpi_org_fine_days, public.slsa_kpi_org_fine_months;
INSERT INTO public.slsa_kpi_org_fine_days (metric, bucket, day, sub, runs)
SELECT f.metric, f.fine / 64, f.day, (f.fine % 64)::smallint, f.runs
  FROM (SELECT x.metric, public.slsa_kpi_fine_bucket(x.v) AS fine, (r."timestamp" AT TIME ZONE 'UTC')::date AS day,
               count(*) AS runs
          FROM public.slsa_runs r
         CROSS JOIN LATERAL (VALUES (1::smallint, r.lock_wait_s), (2::smallint, r.artifact_upload_latency_s),
                                    (3::smallint, r.lag_s), (4::smallint, r.notify_latency_s)) AS x(metric, v)
         WHERE x.v IS NOT NULL
         GROUP BY 1, 2, 3) f;
INSERT INTO public.slsa_kpi_org_fine_months (metric, bucket, month, sub, runs)
SELECT d.metric, d.bucket, date_trunc('month', d.day)::date, d.sub, sum(d.runs) FROM public.slsa_kpi_org_fine_days d
 GROUP BY 1, 2, 3, 4;

-- The reads: one fine bucket's runs inside a window.
DROP INDEX IF EXISTS public.slsa_runs_lock_wait_repo_idx;
DROP INDEX IF EXISTS public.slsa_runs_upload_latency_repo_idx;
DROP INDEX IF EXISTS public.slsa_runs_lag_repo_idx;
DROP INDEX IF EXISTS public.slsa_runs_notify_latency_idx;
CREATE INDEX IF NOT EXISTS slsa_runs_lock_wait_fine_idx
  ON public.slsa_runs ((public.slsa_kpi_fine_bucket(lock_wait_s)), "timestamp") INCLUDE (lock_wait_s);
CREATE INDEX IF NOT EXISTS slsa_runs_upload_latency_fine_idx
  ON public.slsa_runs ((public.slsa_kpi_fine_bucket(artifact_upload_latency_s)), "timestamp")
  INCLUDE (artifact_upload_latency_s);
CREATE INDEX IF NOT EXISTS slsa_runs_lag_fine_idx
  ON public.slsa_runs ((public.slsa_kpi_fine_bucket(lag_s)), "timestamp") INCLUDE (lag_s);
CREATE INDEX IF NOT EXISTS slsa_runs_notify_latency_fine_idx
  ON public.slsa_runs ((public.slsa_kpi_fine_bucket(notify_latency_s)), "timestamp") INCLUDE (notify_latency_s);

CREATE OR REPLACE VIEW public.provenance_kpi_org_fine_days AS
SELECT o.metric, o.bucket, o.day, o.sub, o.runs FROM public.slsa_kpi_org_fine_days o;
CREATE OR REPLACE VIEW public.provenance_kpi_org_fine_months AS
SELECT o.metric, o.bucket, o.month, o.sub, o.runs FROM public.slsa_kpi_org_fine_months o;

REVOKE ALL ON TABLE public.slsa_kpi_org_fine_days, public.slsa_kpi_org_fine_months FROM PUBLIC;
REVOKE ALL ON TABLE public.slsa_kpi_org_fine_days, public.slsa_kpi_org_fine_months
  FROM slsa_manifest_ingest, slsa_kpi_reader;
REVOKE ALL ON TABLE public.provenance_kpi_org_fine_days, public.provenance_kpi_org_fine_months FROM PUBLIC;
GRANT SELECT ON TABLE public.provenance_kpi_org_fine_days, public.provenance_kpi_org_fine_months TO slsa_kpi_reader;
REVOKE ALL ON FUNCTION public.slsa_kpi_fine_bucket(double precision), public.slsa_runs_refresh_kpi_fine(),
  public.slsa_kpi_fine_apply(smallint[], integer[], date[], bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.slsa_kpi_fine_bucket(double precision) TO slsa_kpi_reader;
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
      EXECUTE format('REVOKE ALL ON TABLE public.slsa_kpi_org_fine_days, public.slsa_kpi_org_fine_months, '
                     'public.provenance_kpi_org_fine_days, public.provenance_kpi_org_fine_months FROM %I', r);
      EXECUTE format('REVOKE ALL ON FUNCTION public.slsa_kpi_fine_bucket(double precision), '
                     'public.slsa_runs_refresh_kpi_fine(), public.slsa_kpi_fine_apply(smallint[], integer[], date[], bigint[]) FROM %I', r);
    END IF;
  END LOOP;
END
$$;
