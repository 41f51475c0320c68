-- A notification when runs change, for `serve` on PostgreSQL (issue 17, `/api/kpi` after another
-- process's commit; docs/database.md "Answers kept per snapshot"). `serve` keeps the KPI answers of
-- one database snapshot; the first request after a commit used to read everything anew (125–150 ms
-- for an organisation's year at 10M runs). `serve` now listens on this channel and, once the writers
-- have been quiet for a moment, reads the page's windows ahead itself, so that the next request finds
-- the new snapshot's answers kept.
--
-- Statement triggers on the run table and on `ingest_runs`: every write to them (each of an ingest's
-- transactions, from its `begin` to its `finish`, a reconcile, a repository rename, an accepted
-- rewrite, a TRUNCATE) notifies. PostgreSQL sends a
-- notification at the commit of its transaction, never for one rolled back, and folds identical
-- notifications of one transaction into one. The payload is empty: a listener learns only that
-- something changed, and reads what changed through its own role. Nothing reads or trusts the
-- notification beyond "read ahead now": the answers stay keyed by snapshot.
CREATE OR REPLACE FUNCTION public.slsa_runs_notify_changed() RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
  PERFORM pg_catalog.pg_notify('slsa_ledger_runs_changed', '');
  RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS slsa_runs_notify_changed ON public.slsa_runs;
CREATE TRIGGER slsa_runs_notify_changed AFTER INSERT OR UPDATE OR DELETE ON public.slsa_runs
  FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_runs_notify_changed();
DROP TRIGGER IF EXISTS slsa_runs_notify_changed_truncate ON public.slsa_runs;
CREATE TRIGGER slsa_runs_notify_changed_truncate AFTER TRUNCATE ON public.slsa_runs
  FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_runs_notify_changed();
-- and the ingest's own record: its last commit (`finish`: status, watermark) writes no run, and a
-- read ahead before it would be of a snapshot that commit ends
DROP TRIGGER IF EXISTS ingest_runs_notify_changed ON public.ingest_runs;
CREATE TRIGGER ingest_runs_notify_changed AFTER INSERT OR UPDATE OR DELETE ON public.ingest_runs
  FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_runs_notify_changed();

-- a trigger function: nobody calls it
REVOKE ALL ON FUNCTION public.slsa_runs_notify_changed() FROM PUBLIC;
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
      EXECUTE format('REVOKE ALL ON FUNCTION public.slsa_runs_notify_changed() FROM %I', r);
    END IF;
  END LOOP;
END
$$;
