-- The run table's status and flag filters by time index only the rare values (issue 17: ingest
-- throughput). `(status, timestamp)` and `(governance_flag, timestamp)` took an entry for every run,
-- at a random place for a backfill (each repository's year in turn): ~5,000 of the ~28,000 full-page
-- images one 5,000-run batch wrote after a checkpoint at a million runs. The common values (a
-- successful run, a validated one) are most of the runs: a filter on them reads the runs' covering
-- time index (`slsa_runs_kpi_repo_idx`, which carries both columns) and finds a match on nearly every
-- entry. The rare ones (a failure; provenance-ready, artifact-missing and every other flag) keep an
-- index to themselves: the planner proves `status = 'failure'` implies `status <> 'success'`.
CREATE INDEX IF NOT EXISTS slsa_runs_status_rare_timestamp_idx
  ON public.slsa_runs (status, "timestamp") WHERE status <> 'success';
CREATE INDEX IF NOT EXISTS slsa_runs_flag_rare_timestamp_idx
  ON public.slsa_runs (governance_flag, "timestamp") WHERE governance_flag <> 'validated';
DROP INDEX IF EXISTS public.slsa_runs_status_timestamp_idx;
DROP INDEX IF EXISTS public.slsa_runs_flag_timestamp_idx;
