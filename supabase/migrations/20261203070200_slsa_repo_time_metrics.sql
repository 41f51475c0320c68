-- A report of a few repositories or a short window (up to 50,000 runs) computes its percentiles with
-- percentile_cont over the window's runs (src/io/kpi-queries.ts, directPercentileRuns): the
-- per-repository time index carries the four metrics so that read is one index-only range.
DROP INDEX IF EXISTS public.slsa_runs_repo_c_time_idx;
CREATE INDEX IF NOT EXISTS slsa_runs_repo_c_time_metrics_idx ON public.slsa_runs ((repository COLLATE "C"), "timestamp")
  INCLUDE (lock_wait_s, artifact_upload_latency_s, lag_s, notify_latency_s);
