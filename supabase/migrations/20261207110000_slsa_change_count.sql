-- A count of the committed transactions that wrote this schema's tables, for the answers `serve`
-- keeps (issue 17; docs/database.md "Answers kept per snapshot", the change count). `serve` keeps the KPI answers
-- it read in one snapshot and answered from them while the key stayed the same. The key was the
-- cluster's snapshot (`pg_current_snapshot()`): exact, but any commit anywhere in the cluster
-- changes it, and on Supabase the platform's own services (auth, storage, realtime) commit all the
-- time in other schemas, so the organisation's year was read anew (90–150 ms at 10M runs) for
-- nearly every request. The key is now this schema's change count.
--
-- Why the count is exact: every INSERT, UPDATE, DELETE or TRUNCATE on a table of slsa-ledger's fires a
-- statement trigger that adds one row per transaction (its id, `pg_current_xact_id()`, unique) to
-- `slsa_changes`. A snapshot sees exactly the transactions that committed before it was taken, and
-- a later snapshot sees a superset of an earlier one's, so two snapshots that count the same number
-- of rows saw the same set of writing transactions and so the same rows in every table here. A
-- rolled-back transaction's row is never seen. A maximum of ids would not do: ids are given when a
-- transaction starts writing, not when it commits, so a later commit can carry a smaller id.
--
-- The log is folded so that it stays small: every 64th writing transaction (by id) takes a lock of
-- its own (`pg_try_advisory_xact_lock`; skipped when another holds it), deletes the rows of
-- transactions committed before it and adds their number to `slsa_changes_folded` in the same
-- transaction, so any snapshot sees either the rows or their sum, never both or neither. Folding
-- runs only at READ COMMITTED (each statement sees the commits before it; at REPEATABLE READ or
-- SERIALIZABLE a delete of a row folded meanwhile would fail the writer's transaction instead).
--
-- Not counted: a change of definitions (a migration applied by another tool that replaces a view
-- or a function). A migration applied by `slsa-ledger migrate` adds its row to
-- `slsa_schema_migrations`, one of the tables counted, and so counts; after `supabase db push`, restart
-- `serve` (docs/database.md).

CREATE TABLE IF NOT EXISTS public.slsa_changes (
  xact pg_catalog.xid8 PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS public.slsa_changes_folded (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  changes bigint NOT NULL CHECK (changes >= 0)
);
INSERT INTO public.slsa_changes_folded (only_row, changes) VALUES (true, 0) ON CONFLICT DO NOTHING;

CREATE OR REPLACE FUNCTION public.slsa_changes_fold() RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
  folded bigint;
BEGIN
  IF pg_catalog.current_setting('transaction_isolation') <> 'read committed'
     OR NOT pg_catalog.pg_try_advisory_xact_lock(7340290156) THEN
    RETURN 0;
  END IF;
  -- a new snapshot for this statement (READ COMMITTED, a volatile function): the rows of every
  -- transaction that committed before it, the last folder's deletions included
  WITH gone AS (
    DELETE FROM public.slsa_changes c WHERE c.xact <> pg_catalog.pg_current_xact_id() RETURNING 1
  )
  SELECT pg_catalog.count(*) INTO folded FROM gone;
  UPDATE public.slsa_changes_folded SET changes = changes + folded WHERE only_row;
  RETURN folded;
END
$$;

CREATE OR REPLACE FUNCTION public.slsa_note_change() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
  me pg_catalog.xid8 := pg_catalog.pg_current_xact_id();
  noted bigint;
BEGIN
  INSERT INTO public.slsa_changes (xact) VALUES (me) ON CONFLICT (xact) DO NOTHING;
  GET DIAGNOSTICS noted = ROW_COUNT;
  IF noted = 1 AND (me::text::bigint % 64) = 0 THEN
    PERFORM public.slsa_changes_fold();
  END IF;
  RETURN NULL;
END
$$;

-- every table of slsa-ledger's in the schema but the log's own two, named: a project's own tables
-- in `public` (a shared Supabase project) are left alone. `slsa_schema_migrations` exists when
-- `slsa-ledger migrate` applies this, not under `supabase db push`. A test fails when a table the
-- migrations create lacks these triggers.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY[
    'ingest_entry_failures', 'ingest_runs', 'ingest_watermark', 'ledger_manifests',
    'provenance_audit_log', 'slsa_kpi_day_buckets', 'slsa_kpi_day_flags', 'slsa_kpi_day_manifests',
    'slsa_kpi_days', 'slsa_kpi_hour_flags', 'slsa_kpi_hours', 'slsa_kpi_org_buckets',
    'slsa_kpi_org_day_flags', 'slsa_kpi_org_days', 'slsa_kpi_org_fine_days', 'slsa_kpi_org_fine_months',
    'slsa_kpi_org_hour_buckets', 'slsa_kpi_org_month_buckets', 'slsa_kpi_org_month_flags',
    'slsa_kpi_org_months', 'slsa_kpi_repo_months', 'slsa_runs', 'slsa_schema_migrations'
  ] LOOP
    CONTINUE WHEN pg_catalog.to_regclass('public.' || pg_catalog.quote_ident(t)) IS NULL;
    EXECUTE format('DROP TRIGGER IF EXISTS slsa_note_change ON public.%I', t);
    EXECUTE format('CREATE TRIGGER slsa_note_change AFTER INSERT OR UPDATE OR DELETE ON public.%I '
                   'FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_note_change()', t);
    EXECUTE format('DROP TRIGGER IF EXISTS slsa_note_change_truncate ON public.%I', t);
    EXECUTE format('CREATE TRIGGER slsa_note_change_truncate AFTER TRUNCATE ON public.%I '
                   'FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_note_change()', t);
  END LOOP;
END
$$;

-- the key `serve` reads first in each reader transaction, in the same snapshot as the answers
CREATE OR REPLACE VIEW public.provenance_change_count AS
SELECT (SELECT f.changes FROM public.slsa_changes_folded f WHERE f.only_row)
       + (SELECT pg_catalog.count(*) FROM public.slsa_changes) AS changes;

REVOKE ALL ON TABLE public.slsa_changes, public.slsa_changes_folded FROM PUBLIC;
REVOKE ALL ON TABLE public.slsa_changes, public.slsa_changes_folded FROM slsa_manifest_ingest, slsa_kpi_reader;
REVOKE ALL ON TABLE public.provenance_change_count FROM PUBLIC;
GRANT SELECT ON TABLE public.provenance_change_count TO slsa_kpi_reader;
REVOKE ALL ON FUNCTION public.slsa_note_change(), public.slsa_changes_fold() FROM PUBLIC;
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
      EXECUTE format('REVOKE ALL ON TABLE public.slsa_changes, public.slsa_changes_folded, '
                     'public.provenance_change_count FROM %I', r);
      EXECUTE format('REVOKE ALL ON FUNCTION public.slsa_note_change(), public.slsa_changes_fold() FROM %I', r);
    END IF;
  END LOOP;
END
$$;
