-- Many repositories' ledgers in one database (issue 17), a database that enforces the entry schema
-- itself (issue 14 item 7) and refuses an entry, not a batch (issue 13 item 3). Upgrades a database
-- made by the earlier migrations in place:
--   * slsa_runs is keyed by (repository, tag, run_id). Existing runs get the ledger name of the ingest
--     that last wrote them (the audit log names the ingest, ingest_runs its ledger), else the name the
--     only watermark holds, else 'default'. The audit log, the manifests and the ingest runs follow.
--   * every entry is checked against the schema of src/core/ledger/entry.ts (slsa_entry_problem); an
--     entry that fails is recorded in ingest_entry_failures with its reason, the others land;
--   * signature_status per run; runs no longer in git are marked (missing_since), never deleted;
--   * the watermark moves only to the commit its ingest declared and read; a rewrite is recorded;
--   * the KPI rollup is kept per (repository, UTC day); an organisation-wide percentile histogram is
--     kept by additive deltas; Slack notification latency (metrics.notify.latency_s) is a fourth metric.

-- The statement triggers of …150800 would rebuild the rollup on every backfill below: off until the end.
DROP TRIGGER IF EXISTS slsa_runs_kpi_days_insert ON public.slsa_runs;
DROP TRIGGER IF EXISTS slsa_runs_kpi_days_update ON public.slsa_runs;
DROP TRIGGER IF EXISTS slsa_runs_kpi_days_delete ON public.slsa_runs;
DROP TRIGGER IF EXISTS slsa_runs_kpi_days_truncate ON public.slsa_runs;

-- Views over the tables changed below (recreated at the end, with their grants).
DROP VIEW IF EXISTS public.provenance_runs, public.provenance_kpi, public.provenance_kpi_daily,
  public.provenance_ingest_lag, public.provenance_ingest_runs, public.provenance_manifests,
  public.provenance_audit, public.provenance_kpi_day_manifests, public.provenance_kpi_day_flags,
  public.provenance_kpi_day_buckets;

-- ---------------------------------------------------------------------------------------------
-- The repository of each existing run.

ALTER TABLE public.ingest_runs ADD COLUMN IF NOT EXISTS alert text;
ALTER TABLE public.ingest_runs ADD COLUMN IF NOT EXISTS entries_refused integer NOT NULL DEFAULT 0;
ALTER TABLE public.ingest_runs ADD COLUMN IF NOT EXISTS reconciled boolean NOT NULL DEFAULT false;
ALTER TABLE public.ingest_runs ADD COLUMN IF NOT EXISTS ledger_url text;

ALTER TABLE public.slsa_runs ADD COLUMN IF NOT EXISTS repository text;
ALTER TABLE public.slsa_runs ADD COLUMN IF NOT EXISTS signature_status text NOT NULL DEFAULT 'unverified';
ALTER TABLE public.slsa_runs ADD COLUMN IF NOT EXISTS notify_latency_s double precision;
ALTER TABLE public.slsa_runs ADD COLUMN IF NOT EXISTS missing_since timestamptz;

WITH legacy AS (
  SELECT CASE WHEN (SELECT count(*) FROM public.ingest_watermark) = 1
              THEN (SELECT w.ledger FROM public.ingest_watermark w) ELSE 'default' END AS name
),
last_writer AS (
  SELECT DISTINCT ON (a.tag, a.run_id) a.tag, a.run_id, i.ledger
    FROM public.provenance_audit_log a
    JOIN public.ingest_runs i ON i.id = a.ingest_id
   ORDER BY a.tag, a.run_id, a.id DESC
)
UPDATE public.slsa_runs r
   SET repository = coalesce((SELECT l.ledger FROM last_writer l WHERE l.tag = r.tag AND l.run_id = r.run_id),
                             (SELECT name FROM legacy))
 WHERE r.repository IS NULL;
ALTER TABLE public.slsa_runs ALTER COLUMN repository SET NOT NULL;
ALTER TABLE public.slsa_runs DROP CONSTRAINT IF EXISTS slsa_runs_pkey;
ALTER TABLE public.slsa_runs ADD CONSTRAINT slsa_runs_pkey PRIMARY KEY (repository, tag, run_id);
ALTER TABLE public.slsa_runs DROP CONSTRAINT IF EXISTS slsa_runs_signature_status_check;
ALTER TABLE public.slsa_runs ADD CONSTRAINT slsa_runs_signature_status_check
  CHECK (signature_status IN ('verified', 'unsigned', 'invalid', 'untrusted', 'unverified'));
UPDATE public.slsa_runs
   SET notify_latency_s = (metrics->'notify'->>'latency_s')::double precision
 WHERE metrics->'notify' ? 'latency_s' AND notify_latency_s IS NULL;

-- The audit log is append-only; its owner lifts the guard for this one backfill, in this transaction.
ALTER TABLE public.provenance_audit_log ADD COLUMN IF NOT EXISTS repository text;
ALTER TABLE public.provenance_audit_log DISABLE TRIGGER provenance_audit_log_append_only;
UPDATE public.provenance_audit_log a
   SET repository = coalesce((SELECT i.ledger FROM public.ingest_runs i WHERE i.id = a.ingest_id), 'default')
 WHERE a.repository IS NULL;
ALTER TABLE public.provenance_audit_log ENABLE TRIGGER provenance_audit_log_append_only;
ALTER TABLE public.provenance_audit_log DROP CONSTRAINT IF EXISTS provenance_audit_log_action_check;
ALTER TABLE public.provenance_audit_log ADD CONSTRAINT provenance_audit_log_action_check
  CHECK (action IN ('insert', 'update', 'missing', 'restored'));
DROP INDEX IF EXISTS public.provenance_audit_log_run_idx;
CREATE INDEX IF NOT EXISTS provenance_audit_log_repo_run_idx ON public.provenance_audit_log (repository, tag, run_id);

-- The latest hash of each manifest file, per repository.
ALTER TABLE public.ledger_manifests ADD COLUMN IF NOT EXISTS repository text;
UPDATE public.ledger_manifests m
   SET repository = coalesce((SELECT r.repository FROM public.slsa_runs r WHERE r.manifest_path = m.path LIMIT 1),
                             CASE WHEN (SELECT count(*) FROM public.ingest_watermark) = 1
                                  THEN (SELECT w.ledger FROM public.ingest_watermark w) ELSE 'default' END)
 WHERE m.repository IS NULL;
ALTER TABLE public.ledger_manifests ALTER COLUMN repository SET NOT NULL;
ALTER TABLE public.ledger_manifests DROP CONSTRAINT IF EXISTS ledger_manifests_pkey;
ALTER TABLE public.ledger_manifests ADD CONSTRAINT ledger_manifests_pkey PRIMARY KEY (repository, path);

-- The watermark is the witness of the last head read (per repository); a rewrite is recorded on it.
ALTER TABLE public.ingest_watermark ADD COLUMN IF NOT EXISTS ledger_url text;
ALTER TABLE public.ingest_watermark ADD COLUMN IF NOT EXISTS rewritten_at timestamptz;
ALTER TABLE public.ingest_watermark ADD COLUMN IF NOT EXISTS rewritten_head text;
-- one row per repository ingest has begun, with or without a watermark yet (the repository list)
ALTER TABLE public.ingest_watermark ALTER COLUMN git_commit DROP NOT NULL;
INSERT INTO public.ingest_watermark (ledger, git_commit)
SELECT DISTINCT r.repository, NULL::text FROM public.slsa_runs r
ON CONFLICT (ledger) DO NOTHING;

-- One row per entry the database refused, with its reason (what ingest printed).
CREATE TABLE IF NOT EXISTS public.ingest_entry_failures (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ingest_id uuid NOT NULL,
  repository text NOT NULL,
  tag text,
  run_id text,
  manifest_path text,
  reason text NOT NULL,
  failed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ingest_entry_failures_failed_at_idx ON public.ingest_entry_failures (failed_at);
CREATE INDEX IF NOT EXISTS ingest_entry_failures_ingest_idx ON public.ingest_entry_failures (ingest_id);

-- ---------------------------------------------------------------------------------------------
-- Indexes: the repository leads the run table's per-repository reads and the per-(repository, day)
-- rebuilds; the KPI index and the value indexes carry the new columns.

DROP INDEX IF EXISTS public.slsa_runs_utc_day_idx;
DROP INDEX IF EXISTS public.slsa_runs_kpi_lag_idx;
CREATE INDEX IF NOT EXISTS slsa_runs_kpi_repo_idx ON public.slsa_runs ("timestamp")
  INCLUDE (repository, status, artifact_url, governance_flag, validation_status, notify_attempts,
           notify_delivered, lock_wait_s, artifact_upload_latency_s, lag_s, notify_latency_s,
           dispatch_token_rotated_at, dispatch_token_expires_at, manifest_path, manifest_hash,
           signature_status, missing_since);
CREATE INDEX IF NOT EXISTS slsa_runs_repo_time_idx ON public.slsa_runs (repository, "timestamp")
  INCLUDE (status, artifact_url, governance_flag, validation_status, notify_attempts, notify_delivered,
           lock_wait_s, artifact_upload_latency_s, lag_s, notify_latency_s, dispatch_token_rotated_at,
           dispatch_token_expires_at, manifest_path, manifest_hash, signature_status, missing_since);
DROP INDEX IF EXISTS public.slsa_runs_lock_wait_idx;
DROP INDEX IF EXISTS public.slsa_runs_upload_latency_idx;
DROP INDEX IF EXISTS public.slsa_runs_lag_idx;
CREATE INDEX IF NOT EXISTS slsa_runs_lock_wait_repo_idx
  ON public.slsa_runs ((width_bucket(lock_wait_s, public.slsa_kpi_thresholds())), lock_wait_s)
  INCLUDE ("timestamp", repository);
CREATE INDEX IF NOT EXISTS slsa_runs_upload_latency_repo_idx
  ON public.slsa_runs ((width_bucket(artifact_upload_latency_s, public.slsa_kpi_thresholds())), artifact_upload_latency_s)
  INCLUDE ("timestamp", repository);
CREATE INDEX IF NOT EXISTS slsa_runs_lag_repo_idx
  ON public.slsa_runs ((width_bucket(lag_s, public.slsa_kpi_thresholds())), lag_s) INCLUDE ("timestamp", repository);
CREATE INDEX IF NOT EXISTS slsa_runs_notify_latency_idx
  ON public.slsa_runs ((width_bucket(notify_latency_s, public.slsa_kpi_thresholds())), notify_latency_s)
  INCLUDE ("timestamp", repository);
-- runs whose Slack notifications did not all arrive (few): the worst tags of a window
CREATE INDEX IF NOT EXISTS slsa_runs_notify_undelivered_idx ON public.slsa_runs ("timestamp")
  INCLUDE (repository, tag, run_id, notify_attempts, notify_delivered)
  WHERE notify_delivered < notify_attempts;
CREATE INDEX IF NOT EXISTS slsa_runs_missing_idx ON public.slsa_runs (repository, missing_since)
  WHERE missing_since IS NOT NULL;

-- ---------------------------------------------------------------------------------------------
-- The entry schema (DESIGN.md §4, src/core/ledger/entry.ts and the agreement in the team notes):
-- each slsa_check_* returns the problem as text, or NULL. Plain SQL expressions, so the planner
-- inlines them into the ingest function's one statement. STABLE, not IMMUTABLE: their messages
-- concatenate numbers (`||` on a non-text value is STABLE), and Postgres inlines a function only
-- when its body is no more volatile than it is declared (not inlined, each call cost ~50 µs).

-- JavaScript's String.length: UTF-16 code units (a character above U+FFFF counts two).
CREATE OR REPLACE FUNCTION public.slsa_utf16_length(s text) RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN octet_length(s) = char_length(s) THEN char_length(s)
              ELSE char_length(s) + char_length(s) - char_length(regexp_replace(s, '[\U00010000-\U0010FFFF]', '', 'g')) END
$$;

-- Plain text: a string, not blank (JavaScript's trim), at most max_len UTF-16 units, no control
-- character but tab and newline.
CREATE OR REPLACE FUNCTION public.slsa_check_text(v jsonb, name text, max_len integer) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN v IS NULL THEN name || ' is required'
    WHEN jsonb_typeof(v) <> 'string' THEN name || ' must be text'
    WHEN (v #>> '{}') ~ '^[\u0009-\u000d\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]*$'
      THEN name || ' must not be empty'
    WHEN char_length(v #>> '{}') > max_len OR public.slsa_utf16_length(v #>> '{}') > max_len
      THEN name || ' must be at most ' || max_len || ' characters'
    WHEN (v #>> '{}') ~ '[\u0001-\u0008\u000b-\u001f\u007f-\u009f]'
      THEN name || ' must be plain text without control characters'
  END
$$;

-- An https URL: plain text of at most 2048, scheme https (any case, as URL parsers read it), a host,
-- no credentials, no white space.
CREATE OR REPLACE FUNCTION public.slsa_check_url(v jsonb, name text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(public.slsa_check_text(v, name, 2048), CASE
    WHEN (v #>> '{}') !~* '^https:' THEN name || ' must be an https url'
    WHEN (v #>> '{}') ~ '[\s\u0000-\u001f]' THEN name || ' must be an https url without spaces'
    WHEN (v #>> '{}') !~ '^[A-Za-z]+:[/\\]*[^/\\?#]' THEN name || ' must name a host'
    WHEN substring(v #>> '{}' FROM '^[A-Za-z]+:[/\\]*([^/\\?#]*)') LIKE '%@%' THEN name || ' must not carry credentials'
  END)
$$;

-- RFC 3339 UTC (`…Z`), a real date and time from 1970 on.
CREATE OR REPLACE FUNCTION public.slsa_check_timestamp(v jsonb, name text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN v IS NULL THEN name || ' is required'
    WHEN jsonb_typeof(v) <> 'string'
      OR (v #>> '{}') !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z$'
      THEN name || ' must be an rfc 3339 utc timestamp like 2025-11-24T10:00:00Z'
    WHEN substr(v #>> '{}', 1, 4)::integer < 1970
      OR substr(v #>> '{}', 6, 2)::integer NOT BETWEEN 1 AND 12
      OR substr(v #>> '{}', 9, 2)::integer < 1
      OR substr(v #>> '{}', 12, 2)::integer > 23
      OR substr(v #>> '{}', 15, 2)::integer > 59
      OR substr(v #>> '{}', 18, 2)::integer > 59
      THEN name || ' is not a real date and time'
    WHEN substr(v #>> '{}', 9, 2)::integer > extract(day FROM (make_date(substr(v #>> '{}', 1, 4)::integer,
           substr(v #>> '{}', 6, 2)::integer, 1) + interval '1 month - 1 day'))
      THEN name || ' is not a real date and time'
  END
$$;

-- An integer from lo to hi (a JSON number with no fraction).
CREATE OR REPLACE FUNCTION public.slsa_check_integer(v jsonb, name text, lo numeric, hi numeric) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN v IS NULL THEN name || ' is required'
    WHEN jsonb_typeof(v) <> 'number' THEN name || ' must be a whole number from ' || lo || ' to ' || hi
    WHEN v::numeric <> trunc(v::numeric) OR v::numeric < lo OR v::numeric > hi
      THEN name || ' must be a whole number from ' || lo || ' to ' || hi
  END
$$;

-- A finite number from 0 to 1e9.
CREATE OR REPLACE FUNCTION public.slsa_check_seconds(v jsonb, name text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN jsonb_typeof(v) <> 'number' THEN name || ' must be a number from 0 to 1e9'
    WHEN v::numeric < 0 OR v::numeric > 1000000000 THEN name || ' must be a number from 0 to 1e9'
  END
$$;

CREATE OR REPLACE FUNCTION public.slsa_check_flag(v jsonb, name text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN jsonb_typeof(v) <> 'string' OR char_length(v #>> '{}') > 100
      OR (v #>> '{}') !~ '^[a-z0-9]+(-[a-z0-9]+)*$'
      THEN name || ' must be a kebab-case word like provenance-ready'
  END
$$;

-- `git check-ref-format` for refs/tags/<tag>, no leading '-', at most 255 bytes.
CREATE OR REPLACE FUNCTION public.slsa_check_tag(v jsonb) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN v IS NULL THEN 'tag is required'
    WHEN jsonb_typeof(v) <> 'string' THEN 'tag must be a git tag name'
    WHEN (v #>> '{}') = '' OR octet_length(v #>> '{}') > 255 THEN 'tag must be 1 to 255 bytes'
    WHEN (v #>> '{}') ~ '^-|[\u0001-\u001f\u007f ~^:?*[\\]|\.\.|@\{|^@$|^/|/$|//|\.$|(^|/)\.|\.lock(/|$)'
      THEN 'tag is not a valid git tag name'
  END
$$;

CREATE OR REPLACE FUNCTION public.slsa_check_keys(v jsonb, allowed text[], name text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN jsonb_typeof(v) <> 'object' THEN name || ' must be an object'
    WHEN (v - allowed) <> '{}'::jsonb
      THEN 'unknown field ''' || (SELECT min(k) FROM jsonb_object_keys(v - allowed) k) || ''' in ' || name
  END
$$;

-- The first problem of an entry, in field order, or NULL for a valid entry. PL/pgSQL, so that each
-- group of checks is one planned-once expression over the entry (a SQL function with the same
-- checks cost ~2 ms an entry: its plan was set up on every call).
CREATE OR REPLACE FUNCTION public.slsa_entry_problem(e jsonb) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
  p text;
  m jsonb;
  n jsonb;
  v jsonb;
BEGIN
  IF e IS NULL OR jsonb_typeof(e) <> 'object' THEN
    RETURN 'an entry must be a json object';
  END IF;
  p := coalesce(
    public.slsa_check_keys(e, ARRAY['run_id', 'tag', 'sha', 'artifact_url', 'actor', 'timestamp', 'status',
      'governance_flag', 'release_url', 'failure_reason', 'governance_history', 'provenance', 'validation',
      'metrics'], 'the entry'),
    public.slsa_check_integer(e->'run_id', 'run_id', 1, 9007199254740991),
    public.slsa_check_tag(e->'tag'),
    CASE WHEN jsonb_typeof(e->'sha') IS DISTINCT FROM 'string' OR (e->>'sha') !~ '^([0-9a-f]{40}|[0-9a-f]{64})$'
         THEN 'sha must be 40 or 64 lower-case hex digits' END,
    CASE WHEN NOT e ? 'artifact_url' THEN 'artifact_url is required (null only when status is failure)'
         WHEN jsonb_typeof(e->'artifact_url') = 'null'
           THEN CASE WHEN e->>'status' = 'success' THEN 'artifact_url may be null only when status is failure' END
         ELSE public.slsa_check_url(e->'artifact_url', 'artifact_url') END,
    public.slsa_check_text(e->'actor', 'actor', 256),
    public.slsa_check_timestamp(e->'timestamp', 'timestamp'),
    CASE WHEN jsonb_typeof(e->'status') IS DISTINCT FROM 'string' OR (e->>'status') NOT IN ('success', 'failure')
         THEN 'status must be success or failure' END,
    CASE WHEN e ? 'governance_flag' THEN public.slsa_check_flag(e->'governance_flag', 'governance_flag') END,
    CASE WHEN e ? 'release_url' THEN public.slsa_check_url(e->'release_url', 'release_url') END,
    CASE WHEN e ? 'failure_reason' THEN public.slsa_check_text(e->'failure_reason', 'failure_reason', 4096)
         WHEN e->>'status' = 'failure' THEN 'failure_reason is required when status is failure' END);
  IF p IS NOT NULL THEN
    RETURN p;
  END IF;

  IF e ? 'governance_history' THEN
    IF jsonb_typeof(e->'governance_history') <> 'array' THEN
      RETURN 'governance_history must be a list';
    END IF;
    FOR v IN SELECT x.v FROM jsonb_array_elements(e->'governance_history') AS x(v) LOOP
      p := coalesce(public.slsa_check_keys(v, ARRAY['flag', 'timestamp', 'run_id'], 'governance_history'),
                    public.slsa_check_flag(v->'flag', 'governance_history.flag'),
                    public.slsa_check_timestamp(v->'timestamp', 'governance_history.timestamp'),
                    public.slsa_check_integer(v->'run_id', 'governance_history.run_id', 1, 9007199254740991));
      IF p IS NOT NULL THEN
        RETURN p;
      END IF;
    END LOOP;
  END IF;

  IF e ? 'provenance' THEN
    m := e->'provenance';
    p := coalesce(
      public.slsa_check_keys(m, ARRAY['digest', 'predicate_type', 'builder_id', 'subjects'], 'provenance'),
      CASE WHEN jsonb_typeof(m->'digest') IS DISTINCT FROM 'string' OR (m->>'digest') !~ '^sha256:[0-9a-f]{64}$'
           THEN 'provenance.digest must be sha256: and 64 lower-case hex digits' END,
      public.slsa_check_text(m->'predicate_type', 'provenance.predicate_type', 512),
      public.slsa_check_text(m->'builder_id', 'provenance.builder_id', 1024),
      CASE WHEN jsonb_typeof(m->'subjects') IS DISTINCT FROM 'array' OR jsonb_array_length(m->'subjects') = 0
           THEN 'provenance.subjects must name at least one subject' END);
    IF p IS NOT NULL THEN
      RETURN p;
    END IF;
    FOR v IN SELECT x.v FROM jsonb_array_elements(m->'subjects') AS x(v) LOOP
      p := coalesce(public.slsa_check_keys(v, ARRAY['name', 'sha256'], 'provenance.subjects'),
                    public.slsa_check_text(v->'name', 'provenance.subjects.name', 1024),
                    CASE WHEN jsonb_typeof(v->'sha256') IS DISTINCT FROM 'string' OR (v->>'sha256') !~ '^[0-9a-f]{64}$'
                         THEN 'provenance.subjects.sha256 must be 64 lower-case hex digits' END);
      IF p IS NOT NULL THEN
        RETURN p;
      END IF;
    END LOOP;
  END IF;

  IF e ? 'validation' THEN
    m := e->'validation';
    p := coalesce(
      public.slsa_check_keys(m, ARRAY['status', 'validated_at', 'validator_run_id', 'reason'], 'validation'),
      CASE WHEN jsonb_typeof(m->'status') IS DISTINCT FROM 'string' OR (m->>'status') NOT IN ('passed', 'failed')
           THEN 'validation.status must be passed or failed' END,
      public.slsa_check_timestamp(m->'validated_at', 'validation.validated_at'),
      CASE WHEN m ? 'validator_run_id'
           THEN public.slsa_check_integer(m->'validator_run_id', 'validation.validator_run_id', 1, 9007199254740991) END,
      CASE WHEN m ? 'reason' THEN public.slsa_check_text(m->'reason', 'validation.reason', 4096) END);
    IF p IS NOT NULL THEN
      RETURN p;
    END IF;
  END IF;

  IF e ? 'metrics' THEN
    m := e->'metrics';
    p := coalesce(
      public.slsa_check_keys(m, ARRAY['dispatch_token_expires_at', 'dispatch_token_rotated_at',
        'dispatch_token_last_used_run_id', 'dispatch_token_last_used_at', 'artifact_upload_latency_s', 'lock_wait_s',
        'notify'], 'metrics'),
      CASE WHEN m ? 'dispatch_token_expires_at'
           THEN public.slsa_check_timestamp(m->'dispatch_token_expires_at', 'metrics.dispatch_token_expires_at') END,
      CASE WHEN m ? 'dispatch_token_rotated_at'
           THEN public.slsa_check_timestamp(m->'dispatch_token_rotated_at', 'metrics.dispatch_token_rotated_at') END,
      CASE WHEN m ? 'dispatch_token_last_used_run_id'
           THEN public.slsa_check_integer(m->'dispatch_token_last_used_run_id', 'metrics.dispatch_token_last_used_run_id',
                                          1, 9007199254740991) END,
      CASE WHEN m ? 'dispatch_token_last_used_at'
           THEN public.slsa_check_timestamp(m->'dispatch_token_last_used_at', 'metrics.dispatch_token_last_used_at') END,
      CASE WHEN m ? 'artifact_upload_latency_s'
           THEN public.slsa_check_seconds(m->'artifact_upload_latency_s', 'metrics.artifact_upload_latency_s') END,
      CASE WHEN m ? 'lock_wait_s' THEN public.slsa_check_seconds(m->'lock_wait_s', 'metrics.lock_wait_s') END);
    IF p IS NOT NULL THEN
      RETURN p;
    END IF;
    IF m ? 'notify' THEN
      n := m->'notify';
      p := coalesce(
        public.slsa_check_keys(n, ARRAY['attempts', 'delivered', 'latency_s'], 'metrics.notify'),
        public.slsa_check_integer(n->'attempts', 'metrics.notify.attempts', 0, 2147483647),
        public.slsa_check_integer(n->'delivered', 'metrics.notify.delivered', 0, 2147483647),
        CASE WHEN n ? 'latency_s' THEN public.slsa_check_seconds(n->'latency_s', 'metrics.notify.latency_s') END);
    END IF;
  END IF;
  RETURN p;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- The KPI rollup, per (repository, UTC day), rebuilt from the runs of the touched pairs (exact,
-- percentiles included), plus the organisation's percentile histogram kept by additive deltas.

DROP FUNCTION IF EXISTS public.slsa_runs_refresh_kpi_days() CASCADE;
DROP FUNCTION IF EXISTS public.slsa_kpi_refresh_days(date[]);
DROP TABLE IF EXISTS public.slsa_kpi_days, public.slsa_kpi_day_flags, public.slsa_kpi_day_manifests,
  public.slsa_kpi_day_buckets;

CREATE TABLE public.slsa_kpi_days (
  repository text NOT NULL,
  day date NOT NULL,
  entries integer NOT NULL,
  failures integer NOT NULL,
  missing_artifacts integer NOT NULL,
  validated integer NOT NULL,
  validation_failures integer NOT NULL,
  notify_attempts bigint NOT NULL,
  notify_delivered bigint NOT NULL,
  -- runs with a notification attempt, and those whose every attempt was delivered (per tag)
  notified_runs integer NOT NULL,
  notified_runs_delivered integer NOT NULL,
  signatures_verified integer NOT NULL,
  signatures_unsigned integer NOT NULL,
  signatures_invalid integer NOT NULL,
  signatures_untrusted integer NOT NULL,
  signatures_unverified integer NOT NULL,
  missing_from_ledger integer NOT NULL,
  latest_timestamp timestamptz NOT NULL,
  lock_wait_s_p50 double precision,
  lock_wait_s_p95 double precision,
  artifact_upload_latency_s_p50 double precision,
  artifact_upload_latency_s_p95 double precision,
  manifest_to_db_lag_s_p50 double precision,
  manifest_to_db_lag_s_p95 double precision,
  manifest_to_db_lag_s_max double precision,
  notify_latency_s_p50 double precision,
  notify_latency_s_p95 double precision,
  dispatch_token_rotated_at timestamptz,
  dispatch_token_expires_at timestamptz,
  PRIMARY KEY (repository, day)
);
CREATE INDEX slsa_kpi_days_day_idx ON public.slsa_kpi_days (day);

CREATE TABLE public.slsa_kpi_day_flags (
  repository text NOT NULL,
  day date NOT NULL,
  status text NOT NULL,
  governance_flag text,
  runs integer NOT NULL
);
CREATE INDEX slsa_kpi_day_flags_day_idx ON public.slsa_kpi_day_flags (day);
CREATE INDEX slsa_kpi_day_flags_repo_idx ON public.slsa_kpi_day_flags (repository, day);

CREATE TABLE public.slsa_kpi_day_manifests (
  repository text NOT NULL,
  day date NOT NULL,
  manifest_path text NOT NULL,
  manifest_hash text NOT NULL,
  PRIMARY KEY (repository, day, manifest_path)
);
CREATE INDEX slsa_kpi_day_manifests_day_idx ON public.slsa_kpi_day_manifests (day);

-- metric: 1 lock_wait_s, 2 artifact_upload_latency_s, 3 lag_s, 4 notify_latency_s
CREATE TABLE public.slsa_kpi_day_buckets (
  repository text NOT NULL,
  day date NOT NULL,
  metric smallint NOT NULL,
  bucket integer NOT NULL,
  runs integer NOT NULL,
  min_value double precision NOT NULL,
  max_value double precision NOT NULL,
  PRIMARY KEY (repository, day, metric, bucket)
);

-- The organisation's histogram (every repository), per day: counts kept by adding each statement's
-- delta (rows added minus rows removed), so it costs the size of the change, not of the day. The
-- bounds only ever widen (never narrowed on removal), so every value the bucket still holds lies
-- within them, and min = max still proves the bucket holds that one value.
CREATE TABLE IF NOT EXISTS public.slsa_kpi_org_buckets (
  day date NOT NULL,
  metric smallint NOT NULL,
  bucket integer NOT NULL,
  runs bigint NOT NULL,
  min_value double precision NOT NULL,
  max_value double precision NOT NULL,
  PRIMARY KEY (day, metric, bucket)
);
TRUNCATE public.slsa_kpi_org_buckets;

-- Rebuilds the given (repository, day) pairs from the runs. Writers of the same pair take turns (an
-- advisory lock per pair, taken in a fixed order so two writers cannot deadlock).
CREATE OR REPLACE FUNCTION public.slsa_kpi_refresh(repositories text[], days date[]) RETURNS void
LANGUAGE plpgsql SET search_path = '' AS $$
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
      JOIN public.slsa_runs r
        ON r.repository = p.repository
       AND r."timestamp" >= (p.day::timestamp AT TIME ZONE 'UTC')
       AND r."timestamp" < ((p.day + 1)::timestamp AT TIME ZONE 'UTC')
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

-- The statement triggers: the (repository, day) pairs a statement inserted, changed (old and new) or
-- deleted are rebuilt; the organisation histogram gets the statement's delta, its rows in key order
-- (so two writers lock them in the same order; the second waits for the first to commit, then adds).
CREATE OR REPLACE FUNCTION public.slsa_runs_refresh_kpi() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
DECLARE
  v_repos text[];
  v_days date[];
BEGIN
  IF tg_op = 'TRUNCATE' THEN
    TRUNCATE public.slsa_kpi_days, public.slsa_kpi_day_flags, public.slsa_kpi_day_buckets,
      public.slsa_kpi_day_manifests, public.slsa_kpi_org_buckets;
    RETURN NULL;
  ELSIF tg_op = 'INSERT' THEN
    INSERT INTO public.slsa_kpi_org_buckets AS o (day, metric, bucket, runs, min_value, max_value)
    SELECT (n."timestamp" AT TIME ZONE 'UTC')::date, x.metric, width_bucket(x.v, public.slsa_kpi_thresholds()),
           count(*), min(x.v), max(x.v)
      FROM slsa_new_runs n
     CROSS JOIN LATERAL (VALUES (1::smallint, n.lock_wait_s), (2::smallint, n.artifact_upload_latency_s),
                                (3::smallint, n.lag_s), (4::smallint, n.notify_latency_s)) AS x(metric, v)
     WHERE x.v IS NOT NULL
     GROUP BY 1, 2, 3
     ORDER BY 1, 2, 3
    ON CONFLICT (day, metric, bucket) DO UPDATE
       SET runs = o.runs + excluded.runs, min_value = least(o.min_value, excluded.min_value),
           max_value = greatest(o.max_value, excluded.max_value);
    SELECT array_agg(x.repository), array_agg(x.day) INTO v_repos, v_days
      FROM (SELECT DISTINCT n.repository, (n."timestamp" AT TIME ZONE 'UTC')::date AS day FROM slsa_new_runs n) x;
  ELSIF tg_op = 'UPDATE' THEN
    -- old rows count -1 (their bounds are not narrowed), new rows +1 and may widen the bounds
    INSERT INTO public.slsa_kpi_org_buckets AS o (day, metric, bucket, runs, min_value, max_value)
    SELECT d.day, d.metric, d.bucket, sum(d.n), coalesce(min(d.v) FILTER (WHERE d.n > 0), 'NaN'),
           coalesce(max(d.v) FILTER (WHERE d.n > 0), 'NaN')
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
     ORDER BY 1, 2, 3
    ON CONFLICT (day, metric, bucket) DO UPDATE
       SET runs = o.runs + excluded.runs,
           min_value = CASE WHEN excluded.min_value = 'NaN' THEN o.min_value ELSE least(o.min_value, excluded.min_value) END,
           max_value = CASE WHEN excluded.max_value = 'NaN' THEN o.max_value ELSE greatest(o.max_value, excluded.max_value) END;
    SELECT array_agg(x.repository), array_agg(x.day) INTO v_repos, v_days
      FROM (SELECT n.repository, (n."timestamp" AT TIME ZONE 'UTC')::date AS day FROM slsa_new_runs n
            UNION
            SELECT o.repository, (o."timestamp" AT TIME ZONE 'UTC')::date FROM slsa_old_runs o) x;
  ELSE
    INSERT INTO public.slsa_kpi_org_buckets AS o (day, metric, bucket, runs, min_value, max_value)
    SELECT (r."timestamp" AT TIME ZONE 'UTC')::date, x.metric, width_bucket(x.v, public.slsa_kpi_thresholds()),
           -count(*), 'NaN', 'NaN'
      FROM slsa_old_runs r
     CROSS JOIN LATERAL (VALUES (1::smallint, r.lock_wait_s), (2::smallint, r.artifact_upload_latency_s),
                                (3::smallint, r.lag_s), (4::smallint, r.notify_latency_s)) AS x(metric, v)
     WHERE x.v IS NOT NULL
     GROUP BY 1, 2, 3
     ORDER BY 1, 2, 3
    ON CONFLICT (day, metric, bucket) DO UPDATE SET runs = o.runs + excluded.runs;
    SELECT array_agg(x.repository), array_agg(x.day) INTO v_repos, v_days
      FROM (SELECT DISTINCT o.repository, (o."timestamp" AT TIME ZONE 'UTC')::date AS day FROM slsa_old_runs o) x;
  END IF;
  IF v_days IS NOT NULL THEN
    PERFORM public.slsa_kpi_refresh(v_repos, v_days);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER slsa_runs_kpi_insert AFTER INSERT ON public.slsa_runs
  REFERENCING NEW TABLE AS slsa_new_runs
  FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_runs_refresh_kpi();
CREATE TRIGGER slsa_runs_kpi_update AFTER UPDATE ON public.slsa_runs
  REFERENCING OLD TABLE AS slsa_old_runs NEW TABLE AS slsa_new_runs
  FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_runs_refresh_kpi();
CREATE TRIGGER slsa_runs_kpi_delete AFTER DELETE ON public.slsa_runs
  REFERENCING OLD TABLE AS slsa_old_runs
  FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_runs_refresh_kpi();
CREATE TRIGGER slsa_runs_kpi_truncate AFTER TRUNCATE ON public.slsa_runs
  FOR EACH STATEMENT EXECUTE FUNCTION public.slsa_runs_refresh_kpi();

-- The runs already there.
SELECT public.slsa_kpi_refresh(array_agg(x.repository), array_agg(x.day))
  FROM (SELECT DISTINCT r.repository, (r."timestamp" AT TIME ZONE 'UTC')::date AS day FROM public.slsa_runs r) x;
INSERT INTO public.slsa_kpi_org_buckets (day, metric, bucket, runs, min_value, max_value)
SELECT b.day, b.metric, b.bucket, sum(b.runs), min(b.min_value), max(b.max_value)
  FROM public.slsa_kpi_day_buckets b GROUP BY 1, 2, 3;

-- ---------------------------------------------------------------------------------------------
-- The ingest function.
--
-- batch.op:
--   begin     {ingest_id, repository (or ledger), engine, to_commit, ledger_url?}  -> {ingest_id, watermark, repository}
--   upsert    {ingest_id, entries: [{entry, manifest_path, manifest_hash, git_commit, signature_status?}]}
--             -> {seen, inserted, updated, unchanged, restored, failed: [{index, tag, run_id, manifest_path, reason}]}
--             each entry is checked against the schema; a refused one is recorded (ingest_entry_failures)
--             and the others land. Every git_commit must be the commit the ingest declared at begin.
--   reconcile {ingest_id, keys: [[tag, run_id], …]}  -> {missing: [{tag, run_id, timestamp}], marked}
--             marks the repository's runs that are not among the keys (missing_since, an audit row
--             'missing'); never deletes. A run that comes back is cleared by upsert ('restored').
--   finish    {ingest_id, status, error, entries_failed, watermark, alert?, head?}  -> {ingest_id, status, watermark}
--             moves the watermark only for 'succeeded', and only to the commit declared at begin.
CREATE OR REPLACE FUNCTION public.slsa_ingest_batch(batch jsonb) RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
  v_op text := batch->>'op';
  v_id uuid;
  v_repo text;
  v_to_commit text;
  v_seen integer;
  v_inserted integer := 0;
  v_updated integer := 0;
  v_restored integer := 0;
  v_failed jsonb;
  v_watermark text;
  v_status text;
  v_marked integer;
  v_missing jsonb;
BEGIN
  IF jsonb_typeof(batch) IS DISTINCT FROM 'object' THEN
    RAISE EXCEPTION 'batch must be a json object' USING ERRCODE = '22023';
  END IF;
  IF batch->>'ingest_id' IS NULL OR batch->>'ingest_id' !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
    RAISE EXCEPTION 'batch.ingest_id must be a uuid' USING ERRCODE = '22023';
  END IF;
  v_id := (batch->>'ingest_id')::uuid;

  IF v_op = 'begin' THEN
    v_repo := coalesce(nullif(batch->>'repository', ''), nullif(batch->>'ledger', ''), 'default');
    IF v_repo !~ '^[A-Za-z0-9_.-]{1,100}(/[A-Za-z0-9_.-]{1,100})?$' THEN
      RAISE EXCEPTION 'batch.repository must be owner/name' USING ERRCODE = '22023';
    END IF;
    IF batch->>'to_commit' IS NOT NULL AND batch->>'to_commit' !~ '^([0-9a-f]{40}|[0-9a-f]{64})$' THEN
      RAISE EXCEPTION 'batch.to_commit must be a git commit id' USING ERRCODE = '22023';
    END IF;
    UPDATE public.ingest_runs
       SET status = 'failed', ended_at = now(), error = 'interrupted: never finished'
     WHERE status = 'running' AND started_at < now() - interval '1 hour';
    INSERT INTO public.ingest_runs (id, engine, ledger, to_commit, ledger_url)
    VALUES (v_id, left(batch->>'engine', 20), v_repo, batch->>'to_commit',
            CASE WHEN batch->>'ledger_url' ~ '^https://[^\s@]+$' AND char_length(batch->>'ledger_url') <= 2000 THEN batch->>'ledger_url' END)
    ON CONFLICT (id) DO NOTHING;
    -- the repository is known from its first ingest on (its watermark comes with the first success)
    INSERT INTO public.ingest_watermark AS w (ledger, git_commit, updated_at, ledger_url)
    SELECT v_repo, NULL, now(), r.ledger_url FROM public.ingest_runs r WHERE r.id = v_id
    ON CONFLICT (ledger) DO UPDATE SET ledger_url = excluded.ledger_url
     WHERE excluded.ledger_url IS NOT NULL AND w.ledger_url IS DISTINCT FROM excluded.ledger_url;
    SELECT w.git_commit INTO v_watermark FROM public.ingest_watermark w WHERE w.ledger = v_repo;
    UPDATE public.ingest_runs SET from_commit = v_watermark WHERE id = v_id;
    RETURN jsonb_build_object('ingest_id', v_id, 'watermark', v_watermark, 'repository', v_repo);
  END IF;

  SELECT r.ledger, r.to_commit INTO v_repo, v_to_commit
    FROM public.ingest_runs r WHERE r.id = v_id AND r.status = 'running';
  IF NOT FOUND THEN
    RAISE EXCEPTION 'ingest % is not running (begin it first)', v_id USING ERRCODE = '22023';
  END IF;

  IF v_op = 'upsert' THEN
    IF jsonb_typeof(batch->'entries') IS DISTINCT FROM 'array' THEN
      RAISE EXCEPTION 'batch.entries must be a json array' USING ERRCODE = '22023';
    END IF;
    -- Concurrent ingests take turns, so the old values in the audit log are the ones replaced.
    PERFORM pg_catalog.pg_advisory_xact_lock(7340290155);
    v_seen := jsonb_array_length(batch->'entries');

    WITH input AS MATERIALIZED (
      SELECT x.ord, x.item,
             CASE
               WHEN jsonb_typeof(x.item) IS DISTINCT FROM 'object' THEN 'an item must be {entry, manifest_path, manifest_hash, git_commit}'
               WHEN jsonb_typeof(x.item->'manifest_path') IS DISTINCT FROM 'string'
                 OR char_length(x.item->>'manifest_path') > 1000 OR (x.item->>'manifest_path') !~ '^[^\u0001-\u001f]*[0-9]{4}-[0-9]{2}-[0-9]{2}/manifest\.json$'
                 THEN 'manifest_path must be the path of a day file'
               WHEN jsonb_typeof(x.item->'manifest_hash') IS DISTINCT FROM 'string' OR (x.item->>'manifest_hash') !~ '^[0-9a-f]{64}$'
                 THEN 'manifest_hash must be 64 lower-case hex digits'
               WHEN (x.item->>'git_commit') IS DISTINCT FROM v_to_commit
                 THEN 'git_commit must be the commit this ingest declared'
               WHEN x.item ? 'signature_status' AND jsonb_typeof(x.item->'signature_status') <> 'null'
                    AND (x.item->>'signature_status') NOT IN ('verified', 'unsigned', 'invalid', 'untrusted', 'unverified')
                 THEN 'signature_status must be verified, unsigned, invalid, untrusted or unverified'
               ELSE public.slsa_entry_problem(x.item->'entry')
             END AS problem
        FROM jsonb_array_elements(batch->'entries') WITH ORDINALITY AS x(item, ord)
    ),
    failures AS (
      INSERT INTO public.ingest_entry_failures (ingest_id, repository, tag, run_id, manifest_path, reason)
      SELECT v_id, v_repo, left(i.item->'entry'->>'tag', 300), left(i.item->'entry'->>'run_id', 40),
             left(i.item->>'manifest_path', 1000), i.problem
        FROM input i WHERE i.problem IS NOT NULL
      RETURNING 1
    ),
    -- the last copy of a key wins (an ON CONFLICT statement may touch a row once)
    valid AS (
      SELECT DISTINCT ON (i.item->'entry'->>'tag', (i.item->'entry'->>'run_id')::numeric) i.item
        FROM input i WHERE i.problem IS NULL
       ORDER BY i.item->'entry'->>'tag', (i.item->'entry'->>'run_id')::numeric, i.ord DESC
    ),
    shaped AS (
      SELECT
        v_repo AS repository,
        v.item->'entry'->>'tag' AS tag,
        (v.item->'entry'->'run_id')::numeric::bigint AS run_id,
        v.item->'entry'->>'sha' AS sha,
        v.item->'entry'->>'artifact_url' AS artifact_url,
        v.item->'entry'->>'actor' AS actor,
        (v.item->'entry'->>'timestamp')::timestamptz AS ts,
        v.item->'entry'->>'status' AS status,
        v.item->'entry'->>'governance_flag' AS governance_flag,
        v.item->'entry'->>'release_url' AS release_url,
        v.item->'entry'->>'failure_reason' AS failure_reason,
        coalesce(v.item->'entry'->'governance_history', '[]'::jsonb) AS governance_history,
        v.item->'entry'->'provenance' AS provenance,
        v.item->'entry'->'validation' AS validation,
        v.item->'entry'->'metrics' AS metrics,
        v.item->'entry'->'validation'->>'status' AS validation_status,
        (v.item->'entry'->'validation'->>'validated_at')::timestamptz AS validated_at,
        CASE WHEN v.item->'entry'->'provenance'->>'digest' LIKE 'sha256:%'
             THEN substr(v.item->'entry'->'provenance'->>'digest', 8) END AS content_sha256,
        (v.item->'entry'->'metrics'->>'artifact_upload_latency_s')::double precision AS artifact_upload_latency_s,
        (v.item->'entry'->'metrics'->>'lock_wait_s')::double precision AS lock_wait_s,
        (v.item->'entry'->'metrics'->'notify'->'attempts')::numeric::integer AS notify_attempts,
        (v.item->'entry'->'metrics'->'notify'->'delivered')::numeric::integer AS notify_delivered,
        (v.item->'entry'->'metrics'->'notify'->>'latency_s')::double precision AS notify_latency_s,
        (v.item->'entry'->'metrics'->>'dispatch_token_expires_at')::timestamptz AS dispatch_token_expires_at,
        (v.item->'entry'->'metrics'->>'dispatch_token_rotated_at')::timestamptz AS dispatch_token_rotated_at,
        coalesce(v.item->>'signature_status', 'unverified') AS signature_status,
        v.item->>'manifest_path' AS manifest_path,
        v.item->>'manifest_hash' AS manifest_hash,
        v.item->>'git_commit' AS git_commit,
        v.item->'entry' AS entry
      FROM valid v
    ),
    -- each run's stored values beside the new ones (one index probe each): what changes is known
    -- before writing, so the audit rows need no join of the written rows back to the old ones
    incoming AS MATERIALIZED (
      SELECT n.*, r.tag IS NOT NULL AS existed, r.entry AS old_entry, r.signature_status AS old_signature_status,
             r.missing_since AS old_missing_since, r.manifest_path AS old_manifest_path, r.git_commit AS old_git_commit,
             (r.tag IS NULL OR r.entry IS DISTINCT FROM n.entry OR r.signature_status IS DISTINCT FROM n.signature_status
              OR r.missing_since IS NOT NULL) AS changed
        FROM shaped n
        LEFT JOIN public.slsa_runs r ON r.repository = n.repository AND r.tag = n.tag AND r.run_id = n.run_id
    ),
    up AS (
      INSERT INTO public.slsa_runs AS r (
        repository, tag, run_id, sha, artifact_url, actor, "timestamp", status, governance_flag, release_url,
        failure_reason, governance_history, provenance, validation, metrics, validation_status,
        validated_at, content_sha256, artifact_upload_latency_s, lock_wait_s, notify_attempts,
        notify_delivered, notify_latency_s, dispatch_token_expires_at, dispatch_token_rotated_at,
        signature_status, manifest_path, manifest_hash, git_commit, ingested_at, first_ingested_at, entry)
      SELECT
        n.repository, n.tag, n.run_id, n.sha, n.artifact_url, n.actor, n.ts, n.status, n.governance_flag,
        n.release_url, n.failure_reason, n.governance_history, n.provenance, n.validation, n.metrics,
        n.validation_status, n.validated_at, n.content_sha256, n.artifact_upload_latency_s,
        n.lock_wait_s, n.notify_attempts, n.notify_delivered, n.notify_latency_s, n.dispatch_token_expires_at,
        n.dispatch_token_rotated_at, n.signature_status, n.manifest_path, n.manifest_hash, n.git_commit,
        now(), now(), n.entry
      FROM incoming n
      WHERE n.changed
      ON CONFLICT (repository, tag, run_id) DO UPDATE SET
        sha = excluded.sha,
        artifact_url = excluded.artifact_url,
        actor = excluded.actor,
        "timestamp" = excluded."timestamp",
        status = excluded.status,
        governance_flag = excluded.governance_flag,
        release_url = excluded.release_url,
        failure_reason = excluded.failure_reason,
        governance_history = excluded.governance_history,
        provenance = excluded.provenance,
        validation = excluded.validation,
        metrics = excluded.metrics,
        validation_status = excluded.validation_status,
        validated_at = excluded.validated_at,
        content_sha256 = excluded.content_sha256,
        artifact_upload_latency_s = excluded.artifact_upload_latency_s,
        lock_wait_s = excluded.lock_wait_s,
        notify_attempts = excluded.notify_attempts,
        notify_delivered = excluded.notify_delivered,
        notify_latency_s = excluded.notify_latency_s,
        dispatch_token_expires_at = excluded.dispatch_token_expires_at,
        dispatch_token_rotated_at = excluded.dispatch_token_rotated_at,
        signature_status = excluded.signature_status,
        missing_since = NULL,
        manifest_path = CASE WHEN r.entry IS DISTINCT FROM excluded.entry THEN excluded.manifest_path ELSE r.manifest_path END,
        manifest_hash = CASE WHEN r.entry IS DISTINCT FROM excluded.entry THEN excluded.manifest_hash ELSE r.manifest_hash END,
        git_commit = CASE WHEN r.entry IS DISTINCT FROM excluded.entry THEN excluded.git_commit ELSE r.git_commit END,
        ingested_at = CASE WHEN r.entry IS DISTINCT FROM excluded.entry THEN excluded.ingested_at ELSE r.ingested_at END,
        entry = excluded.entry
      WHERE r.entry IS DISTINCT FROM excluded.entry
         OR r.signature_status IS DISTINCT FROM excluded.signature_status
         OR r.missing_since IS NOT NULL
      RETURNING 1
    ),
    audit AS (
      INSERT INTO public.provenance_audit_log (repository, tag, run_id, action, ingest_id, manifest_path, git_commit, metadata)
      SELECT
        v_repo, n.tag, n.run_id,
        CASE WHEN NOT n.existed THEN 'insert'
             WHEN n.old_missing_since IS NOT NULL AND n.old_entry IS NOT DISTINCT FROM n.entry
                  AND n.old_signature_status IS NOT DISTINCT FROM n.signature_status THEN 'restored'
             ELSE 'update' END,
        v_id,
        CASE WHEN NOT n.existed OR n.old_entry IS DISTINCT FROM n.entry THEN n.manifest_path ELSE n.old_manifest_path END,
        CASE WHEN NOT n.existed OR n.old_entry IS DISTINCT FROM n.entry THEN n.git_commit ELSE n.old_git_commit END,
        CASE WHEN NOT n.existed THEN
          jsonb_build_object('old', NULL::jsonb, 'new', n.entry, 'changed_fields', '[]'::jsonb,
                             'signature_status', n.signature_status)
        ELSE (
          SELECT jsonb_build_object(
                   'old', coalesce(jsonb_object_agg(k.key, n.old_entry->k.key) FILTER (WHERE k.key IS NOT NULL), '{}'::jsonb)
                          || CASE WHEN n.old_signature_status IS DISTINCT FROM n.signature_status
                                  THEN jsonb_build_object('signature_status', n.old_signature_status) ELSE '{}'::jsonb END,
                   'new', coalesce(jsonb_object_agg(k.key, n.entry->k.key) FILTER (WHERE k.key IS NOT NULL), '{}'::jsonb)
                          || CASE WHEN n.old_signature_status IS DISTINCT FROM n.signature_status
                                  THEN jsonb_build_object('signature_status', n.signature_status) ELSE '{}'::jsonb END,
                   'changed_fields', coalesce(jsonb_agg(k.key ORDER BY k.key) FILTER (WHERE k.key IS NOT NULL), '[]'::jsonb)
                          || CASE WHEN n.old_signature_status IS DISTINCT FROM n.signature_status
                                  THEN '["signature_status"]'::jsonb ELSE '[]'::jsonb END)
                 || CASE WHEN n.old_missing_since IS NOT NULL
                         THEN jsonb_build_object('missing_since', n.old_missing_since) ELSE '{}'::jsonb END
            FROM (SELECT jsonb_object_keys(n.old_entry) UNION SELECT jsonb_object_keys(n.entry)) AS k(key)
           WHERE (n.old_entry->k.key) IS DISTINCT FROM (n.entry->k.key)
        ) END
      FROM incoming n
      WHERE n.changed
      RETURNING action
    ),
    counted AS (
      SELECT count(*) FILTER (WHERE action = 'insert') AS ins,
             count(*) FILTER (WHERE action = 'update') AS upd,
             count(*) FILTER (WHERE action = 'restored') AS res
        FROM audit
    )
    SELECT c.ins, c.upd, c.res,
           coalesce((SELECT jsonb_agg(jsonb_build_object('index', i.ord - 1, 'tag', left(i.item->'entry'->>'tag', 300),
                                                         'run_id', left(i.item->'entry'->>'run_id', 40),
                                                         'manifest_path', left(i.item->>'manifest_path', 1000),
                                                         'reason', i.problem) ORDER BY i.ord)
                       FROM input i WHERE i.problem IS NOT NULL), '[]'::jsonb)
      INTO v_inserted, v_updated, v_restored, v_failed
      FROM counted c, (SELECT count(*) FROM failures) f, (SELECT count(*) FROM up) w;

    -- the latest bytes of each manifest file read (written only when its hash moved)
    INSERT INTO public.ledger_manifests AS m (repository, path, manifest_hash, git_commit, updated_at)
    SELECT DISTINCT ON (x.item->>'manifest_path') v_repo, x.item->>'manifest_path', x.item->>'manifest_hash',
           x.item->>'git_commit', now()
      FROM jsonb_array_elements(batch->'entries') AS x(item)
     WHERE jsonb_typeof(x.item) = 'object' AND (x.item->>'manifest_hash') ~ '^[0-9a-f]{64}$'
       AND (x.item->>'manifest_path') ~ '[0-9]{4}-[0-9]{2}-[0-9]{2}/manifest\.json$'
       AND (x.item->>'git_commit') IS NOT DISTINCT FROM v_to_commit
     ORDER BY x.item->>'manifest_path'
    ON CONFLICT (repository, path) DO UPDATE
       SET manifest_hash = excluded.manifest_hash, git_commit = excluded.git_commit, updated_at = excluded.updated_at
     WHERE m.manifest_hash IS DISTINCT FROM excluded.manifest_hash;

    UPDATE public.ingest_runs
       SET entries_seen = entries_seen + v_seen,
           entries_changed = entries_changed + v_inserted + v_updated + v_restored,
           entries_refused = entries_refused + jsonb_array_length(v_failed),
           entries_failed = entries_failed + jsonb_array_length(v_failed)
     WHERE id = v_id;
    RETURN jsonb_build_object('seen', v_seen, 'inserted', v_inserted, 'updated', v_updated,
                              'restored', v_restored,
                              'unchanged', v_seen - v_inserted - v_updated - v_restored - jsonb_array_length(v_failed),
                              'failed', v_failed);

  ELSIF v_op = 'reconcile' THEN
    IF jsonb_typeof(batch->'keys') IS DISTINCT FROM 'array' THEN
      RAISE EXCEPTION 'batch.keys must be a json array of [tag, run_id]' USING ERRCODE = '22023';
    END IF;
    PERFORM pg_catalog.pg_advisory_xact_lock(7340290155);
    WITH present AS (
      SELECT k.v->>0 AS tag, (k.v->>1)::numeric AS run_id
        FROM jsonb_array_elements(batch->'keys') AS k(v)
       WHERE jsonb_typeof(k.v) = 'array' AND jsonb_typeof(k.v->1) = 'number'
    ),
    gone AS (
      UPDATE public.slsa_runs r SET missing_since = now()
       WHERE r.repository = v_repo AND r.missing_since IS NULL
         AND NOT EXISTS (SELECT 1 FROM present p WHERE p.tag = r.tag AND p.run_id = r.run_id)
      RETURNING r.tag, r.run_id, r."timestamp", r.manifest_path, r.git_commit, r.entry
    ),
    audit AS (
      INSERT INTO public.provenance_audit_log (repository, tag, run_id, action, ingest_id, manifest_path, git_commit, metadata)
      SELECT v_repo, g.tag, g.run_id, 'missing', v_id, g.manifest_path, v_to_commit,
             jsonb_build_object('old', g.entry, 'new', NULL::jsonb, 'changed_fields', '[]'::jsonb,
                                'reason', 'not in the ledger at ' || coalesce(v_to_commit, 'the directory read'))
        FROM gone g
      RETURNING 1
    )
    SELECT count(*), coalesce(jsonb_agg(jsonb_build_object('tag', g.tag, 'run_id', g.run_id,
             'timestamp', to_char(g."timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
             ORDER BY g."timestamp", g.tag), '[]'::jsonb)
      INTO v_marked, v_missing
      FROM gone g, (SELECT count(*) FROM audit) a;
    UPDATE public.ingest_runs SET reconciled = true WHERE id = v_id;
    -- every run still marked (from this and earlier reconciles)
    SELECT coalesce(jsonb_agg(jsonb_build_object('tag', r.tag, 'run_id', r.run_id,
             'timestamp', to_char(r."timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
             'missing_since', to_char(r.missing_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
             ORDER BY r."timestamp", r.tag), '[]'::jsonb)
      INTO v_missing
      FROM public.slsa_runs r WHERE r.repository = v_repo AND r.missing_since IS NOT NULL;
    RETURN jsonb_build_object('marked', v_marked, 'missing', v_missing);

  ELSIF v_op = 'finish' THEN
    v_status := coalesce(batch->>'status', 'succeeded');
    IF v_status NOT IN ('succeeded', 'failed') THEN
      RAISE EXCEPTION 'batch.status must be succeeded or failed' USING ERRCODE = '22023';
    END IF;
    IF v_status = 'succeeded' AND batch->>'watermark' IS DISTINCT FROM v_to_commit
       AND batch->>'watermark' IS NOT NULL THEN
      RAISE EXCEPTION 'the watermark may move only to the commit this ingest declared and read'
        USING ERRCODE = '22023';
    END IF;
    UPDATE public.ingest_runs
       SET status = v_status,
           ended_at = now(),
           error = left(batch->>'error', 2000),
           alert = CASE WHEN batch->>'alert' ~ '^[a-z0-9-]{1,64}$' THEN batch->>'alert' END,
           entries_failed = entries_failed + CASE WHEN jsonb_typeof(batch->'entries_failed') = 'number'
             THEN least(greatest((batch->>'entries_failed')::numeric, 0), 1000000000)::integer ELSE 0 END
     WHERE id = v_id AND status = 'running';
    IF v_status = 'succeeded' AND batch->>'watermark' IS NOT NULL THEN
      INSERT INTO public.ingest_watermark (ledger, git_commit, ingest_id, updated_at, ledger_url)
      SELECT v_repo, v_to_commit, v_id, now(), r.ledger_url FROM public.ingest_runs r WHERE r.id = v_id
      ON CONFLICT (ledger) DO UPDATE
        SET git_commit = excluded.git_commit, ingest_id = excluded.ingest_id, updated_at = excluded.updated_at,
            ledger_url = coalesce(excluded.ledger_url, public.ingest_watermark.ledger_url),
            rewritten_at = NULL, rewritten_head = NULL
        WHERE public.ingest_watermark.git_commit IS DISTINCT FROM excluded.git_commit
           OR public.ingest_watermark.rewritten_at IS NOT NULL
           OR public.ingest_watermark.ledger_url IS DISTINCT FROM coalesce(excluded.ledger_url, public.ingest_watermark.ledger_url);
    END IF;
    IF batch->>'alert' = 'ledger-history-rewritten' THEN
      UPDATE public.ingest_watermark
         SET rewritten_at = coalesce(rewritten_at, now()),
             rewritten_head = CASE WHEN batch->>'head' ~ '^([0-9a-f]{40}|[0-9a-f]{64})$' THEN batch->>'head' END
       WHERE ledger = v_repo;
    END IF;
    SELECT w.git_commit INTO v_watermark FROM public.ingest_watermark w WHERE w.ledger = v_repo;
    RETURN jsonb_build_object('ingest_id', v_id, 'status', v_status, 'watermark', v_watermark);
  END IF;

  RAISE EXCEPTION 'batch.op must be begin, upsert, reconcile or finish, got %', coalesce(v_op, 'nothing')
    USING ERRCODE = '22023';
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Views (the only thing the reader role sees). Earlier columns keep their order; new ones follow.

CREATE VIEW public.provenance_runs AS
SELECT r.tag, r.run_id, r.sha, r.artifact_url, r.actor, r."timestamp", r.status, r.governance_flag,
       r.release_url, r.failure_reason, r.governance_history, r.provenance, r.validation, r.metrics,
       r.validation_status, r.validated_at, r.content_sha256, r.artifact_upload_latency_s,
       r.lock_wait_s, r.notify_attempts, r.notify_delivered, r.dispatch_token_expires_at,
       r.dispatch_token_rotated_at, r.manifest_path, r.manifest_hash, r.git_commit, r.ingested_at,
       r.first_ingested_at, r.entry, r.lag_s, r.repository, r.signature_status, r.notify_latency_s,
       r.missing_since
  FROM public.slsa_runs r;

CREATE VIEW public.provenance_kpi AS
SELECT r.tag, r.status, r.validated_at, r.run_id, r.release_url, r."timestamp", r.validation_status,
       r.governance_flag, r.artifact_url, r.repository, r.signature_status
  FROM public.slsa_runs r;

-- Per repository and UTC day (sum over repositories for the organisation; the per-day percentiles
-- are the repository's own).
CREATE VIEW public.provenance_kpi_daily AS
SELECT k.day, k.entries, k.failures, k.missing_artifacts, k.validated,
       k.failures::double precision / k.entries AS failure_rate,
       k.missing_artifacts::double precision / k.entries AS missing_artifact_rate,
       k.validated::double precision / k.entries AS validated_rate,
       k.notify_attempts, k.notify_delivered,
       k.lock_wait_s_p50, k.lock_wait_s_p95,
       k.artifact_upload_latency_s_p50, k.artifact_upload_latency_s_p95,
       k.manifest_to_db_lag_s_p50, k.manifest_to_db_lag_s_p95, k.manifest_to_db_lag_s_max,
       k.dispatch_token_rotated_at, k.dispatch_token_expires_at,
       k.repository, k.notified_runs, k.notified_runs_delivered, k.notify_latency_s_p50, k.notify_latency_s_p95,
       k.signatures_verified, k.signatures_unsigned, k.signatures_invalid, k.signatures_untrusted,
       k.signatures_unverified, k.missing_from_ledger, k.latest_timestamp, k.validation_failures
  FROM public.slsa_kpi_days k;

CREATE VIEW public.provenance_ingest_lag AS
SELECT r.tag, r.run_id, r."timestamp", r.ingested_at, r.manifest_path, r.git_commit, r.lag_s, r.repository
  FROM public.slsa_runs r;

CREATE VIEW public.provenance_ingest_runs AS
SELECT i.id, i.started_at, i.ended_at, i.status, i.engine, i.ledger, i.from_commit, i.to_commit,
       i.entries_seen, i.entries_changed, i.entries_failed, i.error, i.ledger AS repository, i.alert,
       i.entries_refused, i.reconciled
  FROM public.ingest_runs i;

CREATE VIEW public.provenance_manifests AS
SELECT m.path, m.manifest_hash, m.git_commit, m.updated_at, m.repository FROM public.ledger_manifests m;

CREATE VIEW public.provenance_audit AS
SELECT a.id, a.tag, a.run_id, a.action, a.ingest_id, a.manifest_path, a.git_commit, a.changed_at, a.metadata,
       a.repository
  FROM public.provenance_audit_log a;

CREATE VIEW public.provenance_kpi_day_manifests AS
SELECT m.day, m.manifest_path, m.manifest_hash, m.repository FROM public.slsa_kpi_day_manifests m;
CREATE VIEW public.provenance_kpi_day_flags AS
SELECT f.day, f.status, f.governance_flag, f.runs, f.repository FROM public.slsa_kpi_day_flags f;
CREATE VIEW public.provenance_kpi_day_buckets AS
SELECT b.day, b.metric, b.bucket, b.runs, b.min_value, b.max_value, b.repository FROM public.slsa_kpi_day_buckets b;

CREATE OR REPLACE VIEW public.provenance_kpi_org_buckets AS
SELECT o.day, o.metric, o.bucket, o.runs, o.min_value, o.max_value FROM public.slsa_kpi_org_buckets o
 WHERE o.runs > 0;

CREATE OR REPLACE VIEW public.provenance_ingest_failures AS
SELECT f.id, f.ingest_id, f.repository, f.tag, f.run_id, f.manifest_path, f.reason, f.failed_at
  FROM public.ingest_entry_failures f;

-- One row per repository ingest knows: its watermark (the last head read), the ledger's URL and a
-- rewrite of its history when one was refused.
CREATE OR REPLACE VIEW public.provenance_repositories AS
SELECT w.ledger AS repository, w.git_commit AS watermark, w.updated_at, w.ledger_url, w.rewritten_at,
       w.rewritten_head
  FROM public.ingest_watermark w;

-- ---------------------------------------------------------------------------------------------
-- Grants: the tables and functions to nobody; the views to the reader; the function to the ingest role.

REVOKE ALL ON TABLE public.slsa_kpi_days, public.slsa_kpi_day_flags, public.slsa_kpi_day_buckets,
  public.slsa_kpi_day_manifests, public.slsa_kpi_org_buckets, public.ingest_entry_failures FROM PUBLIC;
REVOKE ALL ON TABLE public.slsa_kpi_days, public.slsa_kpi_day_flags, public.slsa_kpi_day_buckets,
  public.slsa_kpi_day_manifests, public.slsa_kpi_org_buckets, public.ingest_entry_failures
  FROM slsa_manifest_ingest, slsa_kpi_reader;
REVOKE ALL ON FUNCTION public.slsa_kpi_refresh(text[], date[]),
  public.slsa_runs_refresh_kpi(), public.slsa_entry_problem(jsonb), public.slsa_check_text(jsonb, text, integer),
  public.slsa_check_url(jsonb, text), public.slsa_check_timestamp(jsonb, text),
  public.slsa_check_integer(jsonb, text, numeric, numeric), public.slsa_check_seconds(jsonb, text),
  public.slsa_check_flag(jsonb, text), public.slsa_check_tag(jsonb), public.slsa_check_keys(jsonb, text[], text),
  public.slsa_utf16_length(text) FROM PUBLIC;
REVOKE ALL ON TABLE public.provenance_runs, public.provenance_kpi, public.provenance_kpi_daily,
  public.provenance_ingest_lag, public.provenance_ingest_runs, public.provenance_manifests,
  public.provenance_audit, public.provenance_kpi_day_manifests, public.provenance_kpi_day_flags,
  public.provenance_kpi_day_buckets, public.provenance_kpi_org_buckets, public.provenance_ingest_failures,
  public.provenance_repositories FROM PUBLIC;
GRANT SELECT ON TABLE public.provenance_runs, public.provenance_kpi, public.provenance_kpi_daily,
  public.provenance_ingest_lag, public.provenance_ingest_runs, public.provenance_manifests,
  public.provenance_audit, public.provenance_kpi_day_manifests, public.provenance_kpi_day_flags,
  public.provenance_kpi_day_buckets, public.provenance_kpi_org_buckets, public.provenance_ingest_failures,
  public.provenance_repositories TO slsa_kpi_reader;

-- On Supabase, take the default grants on the new and recreated objects back from anon,
-- authenticated and service_role.
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
      EXECUTE format(
        'REVOKE ALL ON TABLE public.slsa_kpi_days, public.slsa_kpi_day_flags, public.slsa_kpi_day_buckets, '
        'public.slsa_kpi_day_manifests, public.slsa_kpi_org_buckets, public.ingest_entry_failures, '
        'public.provenance_runs, public.provenance_kpi, public.provenance_kpi_daily, public.provenance_ingest_lag, '
        'public.provenance_ingest_runs, public.provenance_manifests, public.provenance_audit, '
        'public.provenance_kpi_day_manifests, public.provenance_kpi_day_flags, public.provenance_kpi_day_buckets, '
        'public.provenance_kpi_org_buckets, public.provenance_ingest_failures, public.provenance_repositories FROM %I', r);
      EXECUTE format(
        'REVOKE ALL ON FUNCTION public.slsa_kpi_refresh(text[], date[]), '
        'public.slsa_runs_refresh_kpi(), public.slsa_entry_problem(jsonb), public.slsa_check_text(jsonb, text, integer), '
        'public.slsa_check_url(jsonb, text), public.slsa_check_timestamp(jsonb, text), '
        'public.slsa_check_integer(jsonb, text, numeric, numeric), public.slsa_check_seconds(jsonb, text), '
        'public.slsa_check_flag(jsonb, text), public.slsa_check_tag(jsonb), public.slsa_check_keys(jsonb, text[], text), '
        'public.slsa_utf16_length(text) FROM %I', r);
    END IF;
  END LOOP;
END
$$;
