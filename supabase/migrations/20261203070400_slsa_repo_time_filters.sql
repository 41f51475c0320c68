-- The run table filtered by repository and status or flag (/api/runs?repository=…&status=…) reads the
-- per-repository time index and counts its matches (up to 10,000): with status and governance_flag in
-- the index that is an index-only range again, as with the covering index …070000 replaced (134 ms at
-- 2,000,000 runs with heap reads for every run of the repository).
DROP INDEX IF EXISTS public.slsa_runs_repo_c_time_metrics_idx;
CREATE INDEX IF NOT EXISTS slsa_runs_repo_c_time_filters_idx ON public.slsa_runs ((repository COLLATE "C"), "timestamp")
  INCLUDE (status, governance_flag, lock_wait_s, artifact_upload_latency_s, lag_s, notify_latency_s);
