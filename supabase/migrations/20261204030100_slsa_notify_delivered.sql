-- An entry may not claim more Slack deliveries than attempts (issue 17 audit).
--
-- `metrics.notify: {attempts: 1, delivered: 9}` passed every check, and the organisation's
-- notification_success_ratio (sum of delivered over sum of attempts) read 900% for it: one such
-- entry, written by anyone who can push to a ledger or holds the ingest key, hid the failed
-- deliveries of every other run in the figure. The entry schema (src/core/ledger/entry.ts) refuses
-- it, and so does the ingest function's own check: slsa_entry_problem as in …20261203070100 plus
-- that rule (COALESCE stops at the first problem, so both counts are known integers when it runs).
-- Runs already stored keep their values until their entry changes.
CREATE OR REPLACE FUNCTION public.slsa_entry_problem(e jsonb) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
  p text;
  m jsonb;
  n jsonb;
  v jsonb;
  i integer;
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
    CASE WHEN jsonb_typeof(e->'sha') IS DISTINCT FROM 'string' OR NOT (octet_length(e->>'sha') IN (40, 64) AND (e->>'sha') ~ '^[0-9a-f]+$')
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
    FOR i IN 0 .. jsonb_array_length(e->'governance_history') - 1 LOOP
      v := e->'governance_history'->i;
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
      CASE WHEN jsonb_typeof(m->'digest') IS DISTINCT FROM 'string' OR NOT (octet_length(m->>'digest') = 71 AND left(m->>'digest', 7) = 'sha256:'
                AND substr(m->>'digest', 8) ~ '^[0-9a-f]+$')
           THEN 'provenance.digest must be sha256: and 64 lower-case hex digits' END,
      public.slsa_check_text(m->'predicate_type', 'provenance.predicate_type', 512),
      public.slsa_check_text(m->'builder_id', 'provenance.builder_id', 1024),
      CASE WHEN jsonb_typeof(m->'subjects') IS DISTINCT FROM 'array' OR jsonb_array_length(m->'subjects') = 0
           THEN 'provenance.subjects must name at least one subject' END);
    IF p IS NOT NULL THEN
      RETURN p;
    END IF;
    FOR i IN 0 .. jsonb_array_length(m->'subjects') - 1 LOOP
      v := m->'subjects'->i;
      p := coalesce(public.slsa_check_keys(v, ARRAY['name', 'sha256'], 'provenance.subjects'),
                    public.slsa_check_text(v->'name', 'provenance.subjects.name', 1024),
                    CASE WHEN jsonb_typeof(v->'sha256') IS DISTINCT FROM 'string' OR NOT (octet_length(v->>'sha256') = 64 AND (v->>'sha256') ~ '^[0-9a-f]+$')
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
        CASE WHEN (n->>'delivered')::numeric > (n->>'attempts')::numeric
             THEN format('metrics.notify.delivered must not exceed metrics.notify.attempts, got %s > %s',
                         n->>'delivered', n->>'attempts') END,
        CASE WHEN n ? 'latency_s' THEN public.slsa_check_seconds(n->'latency_s', 'metrics.notify.latency_s') END);
    END IF;
  END IF;
  RETURN p;
END
$$;

REVOKE ALL ON FUNCTION public.slsa_entry_problem(jsonb) FROM PUBLIC;
