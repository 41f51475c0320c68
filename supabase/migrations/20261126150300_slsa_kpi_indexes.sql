-- Indexes for the KPI views at a million runs: the UTC day of a run (provenance_kpi_daily filtered
-- by day) and the window scans of `kpi` with the metric columns in the index (index-only scans).
CREATE INDEX IF NOT EXISTS slsa_runs_utc_day_idx ON public.slsa_runs (((("timestamp" AT TIME ZONE 'UTC'))::date));
CREATE INDEX IF NOT EXISTS slsa_runs_kpi_idx ON public.slsa_runs ("timestamp")
  INCLUDE (status, artifact_url, governance_flag, validation_status, notify_attempts, notify_delivered,
           lock_wait_s, artifact_upload_latency_s, ingested_at, dispatch_token_rotated_at,
           dispatch_token_expires_at, manifest_path, manifest_hash);
