-- slsa_runs_kpi_idx ("timestamp" INCLUDE the KPI columns, migration …150300) serves every query the
-- plain ("timestamp") index served, in the same order. With both, the planner picked the small one
-- and read the table for each run of a KPI window (a heap fetch per run); without it, the window is
-- one index-only scan (`kpi` over 41,000 of 1,000,000 runs: ~105 ms to ~78 ms), and an ingest
-- maintains one index less.
DROP INDEX IF EXISTS public.slsa_runs_timestamp_idx;
