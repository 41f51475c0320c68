-- Indexes for the dashboard's run table at a million runs (measured with `npm run bench -- dashboard`):
-- a tag-prefix filter sorted by tag uses the "C"-collated tag index (LIKE 'prefix%' needs a
-- byte-order collation to use a btree); status and governance-flag filters scan only their rows,
-- newest first.
CREATE INDEX IF NOT EXISTS slsa_runs_tag_c_idx ON public.slsa_runs ((tag COLLATE "C"), run_id);
CREATE INDEX IF NOT EXISTS slsa_runs_status_timestamp_idx ON public.slsa_runs (status, "timestamp");
CREATE INDEX IF NOT EXISTS slsa_runs_flag_timestamp_idx ON public.slsa_runs (governance_flag, "timestamp");
