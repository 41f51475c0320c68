-- slsa-ledger: the queryable copy of the git ledger (DESIGN.md §5). Plain SQL for Postgres 15+ and
-- PGlite; idempotent, so applying it twice changes nothing.

-- One row per (tag, run_id): every entry field, derived columns for the KPIs, where the current
-- content came from (manifest_path, manifest_hash, git_commit) and the entry itself as jsonb.
CREATE TABLE IF NOT EXISTS public.slsa_runs (
  tag text NOT NULL,
  run_id bigint NOT NULL CHECK (run_id > 0 AND run_id <= 9007199254740991),
  sha text NOT NULL,
  artifact_url text,
  actor text NOT NULL,
  "timestamp" timestamptz NOT NULL,
  status text NOT NULL CHECK (status IN ('success', 'failure')),
  governance_flag text,
  release_url text,
  failure_reason text,
  governance_history jsonb NOT NULL DEFAULT '[]'::jsonb,
  provenance jsonb,
  validation jsonb,
  metrics jsonb,
  validation_status text,
  validated_at timestamptz,
  -- the provenance document's digest (`provenance.digest` without the `sha256:` prefix)
  content_sha256 text,
  artifact_upload_latency_s double precision,
  lock_wait_s double precision,
  notify_attempts integer,
  notify_delivered integer,
  dispatch_token_expires_at timestamptz,
  dispatch_token_rotated_at timestamptz,
  manifest_path text NOT NULL,
  manifest_hash text NOT NULL,
  git_commit text,
  -- when this content was written (insert or last change); first_ingested_at never moves
  ingested_at timestamptz NOT NULL DEFAULT now(),
  first_ingested_at timestamptz NOT NULL DEFAULT now(),
  entry jsonb NOT NULL,
  PRIMARY KEY (tag, run_id)
);
CREATE INDEX IF NOT EXISTS slsa_runs_timestamp_idx ON public.slsa_runs ("timestamp");
CREATE INDEX IF NOT EXISTS slsa_runs_run_id_idx ON public.slsa_runs (run_id);
CREATE INDEX IF NOT EXISTS slsa_runs_manifest_path_idx ON public.slsa_runs (manifest_path);

-- Append-only: one row per insert or change of a run; metadata holds the old and new values.
CREATE TABLE IF NOT EXISTS public.provenance_audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tag text NOT NULL,
  run_id bigint NOT NULL,
  action text NOT NULL CHECK (action IN ('insert', 'update')),
  ingest_id uuid,
  manifest_path text,
  git_commit text,
  changed_at timestamptz NOT NULL DEFAULT now(),
  metadata jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS provenance_audit_log_run_idx ON public.provenance_audit_log (tag, run_id);

CREATE OR REPLACE FUNCTION public.slsa_refuse_audit_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
  RAISE EXCEPTION 'provenance_audit_log is append-only: % refused', tg_op USING ERRCODE = '42501';
END
$$;
DROP TRIGGER IF EXISTS provenance_audit_log_append_only ON public.provenance_audit_log;
CREATE TRIGGER provenance_audit_log_append_only BEFORE UPDATE OR DELETE ON public.provenance_audit_log
  FOR EACH ROW EXECUTE FUNCTION public.slsa_refuse_audit_change();
DROP TRIGGER IF EXISTS provenance_audit_log_no_truncate ON public.provenance_audit_log;
CREATE TRIGGER provenance_audit_log_no_truncate BEFORE TRUNCATE ON public.provenance_audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_refuse_audit_change();

-- One row per ingest: start, end, how many entries it saw, changed and failed, and why it failed.
CREATE TABLE IF NOT EXISTS public.ingest_runs (
  id uuid PRIMARY KEY,
  started_at timestamptz NOT NULL DEFAULT now(),
  ended_at timestamptz,
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
  engine text,
  ledger text NOT NULL DEFAULT 'default',
  from_commit text,
  to_commit text,
  entries_seen integer NOT NULL DEFAULT 0,
  entries_changed integer NOT NULL DEFAULT 0,
  entries_failed integer NOT NULL DEFAULT 0,
  error text
);
CREATE INDEX IF NOT EXISTS ingest_runs_started_at_idx ON public.ingest_runs (started_at);

-- The last ledger commit whose manifests are all in the database, per ledger.
CREATE TABLE IF NOT EXISTS public.ingest_watermark (
  ledger text PRIMARY KEY,
  git_commit text NOT NULL,
  ingest_id uuid,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The latest hash of each manifest file ingested (the `manifest_hash` KPI, per file).
CREATE TABLE IF NOT EXISTS public.ledger_manifests (
  path text PRIMARY KEY,
  manifest_hash text NOT NULL,
  git_commit text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
