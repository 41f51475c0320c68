-- On Supabase, default privileges give anon, authenticated and service_role every privilege on new
-- tables, views and functions in public. Take them back from ours (a no-op where the roles do not
-- exist), so the only ways in are the two roles of the previous migration.
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
      EXECUTE format(
        'REVOKE ALL ON TABLE public.slsa_runs, public.provenance_audit_log, public.ingest_runs, '
        'public.ingest_watermark, public.ledger_manifests, public.provenance_runs, public.provenance_kpi, '
        'public.provenance_kpi_daily, public.provenance_ingest_lag, public.provenance_ingest_runs, '
        'public.provenance_manifests, public.provenance_audit FROM %I', r);
      EXECUTE format('REVOKE ALL ON FUNCTION public.slsa_ingest_batch(jsonb), public.slsa_refuse_audit_change() FROM %I', r);
      IF to_regclass('public.slsa_schema_migrations') IS NOT NULL THEN
        EXECUTE format('REVOKE ALL ON TABLE public.slsa_schema_migrations FROM %I', r);
      END IF;
    END IF;
  END LOOP;
END
$$;
