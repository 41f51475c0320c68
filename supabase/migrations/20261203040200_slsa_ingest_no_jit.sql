-- The ingest function sorts a batch of 5,000 entries (jsonb) in memory: work_mem 64MB for it.
-- No JIT compilation inside the ingest function and the rollup rebuild. Their statements touch a
-- batch (5,000 runs and the 60 or so (repository, day) pairs they fall on), but at millions of runs
-- the planner's estimates for the rebuild's join reach JIT's cost thresholds, and compiling ~50
-- functions cost seconds per batch (measured at 2,100,000 runs: the rebuild took 3.0 s instead of
-- ~0.3 s). A no-op where the server has no JIT (PGlite).
ALTER FUNCTION public.slsa_ingest_batch(jsonb) SET jit = off;
ALTER FUNCTION public.slsa_ingest_batch(jsonb) SET work_mem = '64MB';
ALTER FUNCTION public.slsa_kpi_refresh(text[], date[]) SET jit = off;
ALTER FUNCTION public.slsa_runs_refresh_kpi() SET jit = off;
