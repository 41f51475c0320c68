-- The per-(repository, month) counts of the per-repository table (issue 17): a year's table of 100
-- repositories summed 36,500 per-(repository, day) rows; with these it sums the window's whole months
-- (~1,200 rows), its other whole days and its two edge days (src/io/kpi-queries.ts).
--
-- Kept from the per-(repository, day) rows themselves: statement triggers on slsa_kpi_days add each
-- statement's delta (rows inserted minus rows deleted, per repository and month, upserted in key
-- order so two writers lock alike). Every writer of the day rows (the rollup's rebuild, its backfills)
-- is covered, and the rebuild function is left as it is. Exact: the counts are sums, and a writer's
-- deltas add up to its net change of the day rows it holds the per-day lock of.

CREATE TABLE IF NOT EXISTS public.slsa_kpi_repo_months (
  repository text NOT NULL,
  month date NOT NULL,
  entries bigint NOT NULL,
  failures bigint NOT NULL,
  validated bigint NOT NULL,
  PRIMARY KEY (repository, month)
);

-- Each statement's delta, upserted in key order; then the touched months left with no runs go.
CREATE OR REPLACE FUNCTION public.slsa_kpi_days_to_repo_months() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' SET jit = off AS $$
BEGIN
  IF tg_op = 'TRUNCATE' THEN
    TRUNCATE public.slsa_kpi_repo_months;
    RETURN NULL;
  ELSIF tg_op = 'INSERT' THEN
    INSERT INTO public.slsa_kpi_repo_months AS m (repository, month, entries, failures, validated)
    SELECT n.repository, date_trunc('month', n.day)::date, sum(n.entries), sum(n.failures), sum(n.validated)
      FROM slsa_new_days n
     GROUP BY 1, 2
     ORDER BY 1, 2
    ON CONFLICT (repository, month) DO UPDATE
       SET entries = m.entries + excluded.entries, failures = m.failures + excluded.failures,
           validated = m.validated + excluded.validated;
    RETURN NULL;
  ELSIF tg_op = 'DELETE' THEN
    INSERT INTO public.slsa_kpi_repo_months AS m (repository, month, entries, failures, validated)
    SELECT o.repository, date_trunc('month', o.day)::date, -sum(o.entries), -sum(o.failures), -sum(o.validated)
      FROM slsa_old_days o
     GROUP BY 1, 2
     ORDER BY 1, 2
    ON CONFLICT (repository, month) DO UPDATE
       SET entries = m.entries + excluded.entries, failures = m.failures + excluded.failures,
           validated = m.validated + excluded.validated;
  ELSE
    INSERT INTO public.slsa_kpi_repo_months AS m (repository, month, entries, failures, validated)
    SELECT d.repository, d.month, sum(d.entries), sum(d.failures), sum(d.validated)
      FROM (SELECT n.repository, date_trunc('month', n.day)::date AS month, n.entries::bigint AS entries,
                   n.failures::bigint AS failures, n.validated::bigint AS validated
              FROM slsa_new_days n
            UNION ALL
            SELECT o.repository, date_trunc('month', o.day)::date, -o.entries::bigint, -o.failures::bigint,
                   -o.validated::bigint
              FROM slsa_old_days o) d
     GROUP BY 1, 2
     ORDER BY 1, 2
    ON CONFLICT (repository, month) DO UPDATE
       SET entries = m.entries + excluded.entries, failures = m.failures + excluded.failures,
           validated = m.validated + excluded.validated;
  END IF;
  DELETE FROM public.slsa_kpi_repo_months m
   WHERE m.entries = 0
     AND (m.repository, m.month) IN (SELECT o.repository, date_trunc('month', o.day)::date FROM slsa_old_days o);
  RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS slsa_kpi_days_repo_months_ins ON public.slsa_kpi_days;
DROP TRIGGER IF EXISTS slsa_kpi_days_repo_months_del ON public.slsa_kpi_days;
DROP TRIGGER IF EXISTS slsa_kpi_days_repo_months_upd ON public.slsa_kpi_days;
DROP TRIGGER IF EXISTS slsa_kpi_days_repo_months_trunc ON public.slsa_kpi_days;
CREATE TRIGGER slsa_kpi_days_repo_months_ins AFTER INSERT ON public.slsa_kpi_days
  REFERENCING NEW TABLE AS slsa_new_days
  FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_kpi_days_to_repo_months();
CREATE TRIGGER slsa_kpi_days_repo_months_del AFTER DELETE ON public.slsa_kpi_days
  REFERENCING OLD TABLE AS slsa_old_days
  FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_kpi_days_to_repo_months();
CREATE TRIGGER slsa_kpi_days_repo_months_upd AFTER UPDATE ON public.slsa_kpi_days
  REFERENCING OLD TABLE AS slsa_old_days NEW TABLE AS slsa_new_days
  FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_kpi_days_to_repo_months();
CREATE TRIGGER slsa_kpi_days_repo_months_trunc AFTER TRUNCATE ON public.slsa_kpi_days
  FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_kpi_days_to_repo_months();

-- The runs already there.
TRUNCATE public.slsa_kpi_repo_months;
INSERT INTO public.slsa_kpi_repo_months (repository, month, entries, failures, validated)
SELECT k.repository, date_trunc('month', k.day)::date, sum(k.entries), sum(k.failures), sum(k.validated)
  FROM public.slsa_kpi_days k
 GROUP BY 1, 2;

-- The reader's view.
CREATE OR REPLACE VIEW public.provenance_kpi_repo_monthly AS
SELECT m.repository, m.month, m.entries, m.failures, m.validated FROM public.slsa_kpi_repo_months m;

REVOKE ALL ON TABLE public.slsa_kpi_repo_months FROM PUBLIC;
REVOKE ALL ON TABLE public.slsa_kpi_repo_months FROM slsa_manifest_ingest, slsa_kpi_reader;
REVOKE ALL ON TABLE public.provenance_kpi_repo_monthly FROM PUBLIC;
GRANT SELECT ON TABLE public.provenance_kpi_repo_monthly TO slsa_kpi_reader;
REVOKE ALL ON FUNCTION public.slsa_kpi_days_to_repo_months() FROM PUBLIC;
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
      EXECUTE format('REVOKE ALL ON TABLE public.slsa_kpi_repo_months, public.provenance_kpi_repo_monthly FROM %I', r);
      EXECUTE format('REVOKE ALL ON FUNCTION public.slsa_kpi_days_to_repo_months() FROM %I', r);
    END IF;
  END LOOP;
END
$$;
