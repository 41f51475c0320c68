-- Views the reader role sees, and the two roles. Views run with their owner's rights, so the reader
-- needs SELECT on the views only, never on a table.

-- Every run field, the entry jsonb and where it came from: the run table and detail of the dashboard.
CREATE OR REPLACE VIEW public.provenance_runs AS
SELECT r.tag, r.run_id, r.sha, r.artifact_url, r.actor, r."timestamp", r.status, r.governance_flag,
       r.release_url, r.failure_reason, r.governance_history, r.provenance, r.validation, r.metrics,
       r.validation_status, r.validated_at, r.content_sha256, r.artifact_upload_latency_s,
       r.lock_wait_s, r.notify_attempts, r.notify_delivered, r.dispatch_token_expires_at,
       r.dispatch_token_rotated_at, r.manifest_path, r.manifest_hash, r.git_commit, r.ingested_at,
       r.first_ingested_at, r.entry
  FROM public.slsa_runs r;

CREATE OR REPLACE VIEW public.provenance_kpi AS
SELECT r.tag, r.status, r.validated_at, r.run_id, r.release_url, r."timestamp", r.validation_status,
       r.governance_flag, r.artifact_url
  FROM public.slsa_runs r;

-- One row per UTC day of entry timestamps.
CREATE OR REPLACE VIEW public.provenance_kpi_daily AS
SELECT (r."timestamp" AT TIME ZONE 'UTC')::date AS day,
       count(*)::integer AS entries,
       count(*) FILTER (WHERE r.status = 'failure')::integer AS failures,
       count(*) FILTER (WHERE r.artifact_url IS NULL OR r.governance_flag = 'artifact-missing')::integer
         AS missing_artifacts,
       count(*) FILTER (WHERE r.validation_status = 'passed')::integer AS validated,
       (count(*) FILTER (WHERE r.status = 'failure'))::double precision / count(*) AS failure_rate,
       (count(*) FILTER (WHERE r.artifact_url IS NULL OR r.governance_flag = 'artifact-missing'))::double precision
         / count(*) AS missing_artifact_rate,
       (count(*) FILTER (WHERE r.validation_status = 'passed'))::double precision / count(*) AS validated_rate,
       coalesce(sum(r.notify_attempts), 0)::bigint AS notify_attempts,
       coalesce(sum(r.notify_delivered), 0)::bigint AS notify_delivered,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY r.lock_wait_s) AS lock_wait_s_p50,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY r.lock_wait_s) AS lock_wait_s_p95,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY r.artifact_upload_latency_s) AS artifact_upload_latency_s_p50,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY r.artifact_upload_latency_s) AS artifact_upload_latency_s_p95,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.ingested_at - r."timestamp")::double precision)
         AS manifest_to_db_lag_s_p50,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM r.ingested_at - r."timestamp")::double precision)
         AS manifest_to_db_lag_s_p95,
       max(extract(epoch FROM r.ingested_at - r."timestamp")::double precision) AS manifest_to_db_lag_s_max
  FROM public.slsa_runs r
 GROUP BY 1;

-- Seconds from an entry's timestamp (when it was recorded) to when its content reached the database.
CREATE OR REPLACE VIEW public.provenance_ingest_lag AS
SELECT r.tag, r.run_id, r."timestamp", r.ingested_at, r.manifest_path, r.git_commit,
       extract(epoch FROM r.ingested_at - r."timestamp")::double precision AS lag_s
  FROM public.slsa_runs r;

CREATE OR REPLACE VIEW public.provenance_ingest_runs AS
SELECT i.id, i.started_at, i.ended_at, i.status, i.engine, i.ledger, i.from_commit, i.to_commit,
       i.entries_seen, i.entries_changed, i.entries_failed, i.error
  FROM public.ingest_runs i;

CREATE OR REPLACE VIEW public.provenance_manifests AS
SELECT m.path, m.manifest_hash, m.git_commit, m.updated_at FROM public.ledger_manifests m;

CREATE OR REPLACE VIEW public.provenance_audit AS
SELECT a.id, a.tag, a.run_id, a.action, a.ingest_id, a.manifest_path, a.git_commit, a.changed_at, a.metadata
  FROM public.provenance_audit_log a;

-- Roles are cluster-wide: create them once, tolerating a concurrent creator.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'slsa_manifest_ingest') THEN
    CREATE ROLE slsa_manifest_ingest NOLOGIN NOINHERIT;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'slsa_kpi_reader') THEN
    CREATE ROLE slsa_kpi_reader NOLOGIN NOINHERIT;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

-- Nobody but the owner touches the tables; PUBLIC loses the default EXECUTE on the function.
REVOKE ALL ON TABLE public.slsa_runs, public.provenance_audit_log, public.ingest_runs,
  public.ingest_watermark, public.ledger_manifests FROM PUBLIC;
REVOKE ALL ON TABLE public.slsa_runs, public.provenance_audit_log, public.ingest_runs,
  public.ingest_watermark, public.ledger_manifests FROM slsa_manifest_ingest, slsa_kpi_reader;
REVOKE ALL ON FUNCTION public.slsa_ingest_batch(jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.slsa_refuse_audit_change() FROM PUBLIC;

-- The ingest role: EXECUTE on the one function, nothing else.
GRANT USAGE ON SCHEMA public TO slsa_manifest_ingest;
GRANT EXECUTE ON FUNCTION public.slsa_ingest_batch(jsonb) TO slsa_manifest_ingest;

-- The reader role: SELECT on the views only.
REVOKE ALL ON TABLE public.provenance_runs, public.provenance_kpi, public.provenance_kpi_daily,
  public.provenance_ingest_lag, public.provenance_ingest_runs, public.provenance_manifests,
  public.provenance_audit FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO slsa_kpi_reader;
GRANT SELECT ON TABLE public.provenance_runs, public.provenance_kpi, public.provenance_kpi_daily,
  public.provenance_ingest_lag, public.provenance_ingest_runs, public.provenance_manifests,
  public.provenance_audit TO slsa_kpi_reader;

-- On Supabase, PostgREST's `authenticator` must be able to switch to the roles a JWT names.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authenticator') THEN
    EXECUTE 'GRANT slsa_manifest_ingest TO authenticator';
    EXECUTE 'GRANT slsa_kpi_reader TO authenticator';
  END IF;
END
$$;

-- A migrating user that is not a superuser (e.g. Supabase's `postgres`) must be able to SET ROLE to
-- the two roles, as ingest and kpi do.
DO $$
BEGIN
  IF NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('GRANT slsa_manifest_ingest, slsa_kpi_reader TO %I', current_user);
  END IF;
END
$$;
