-- Indexes for the run table's column sorts at a million runs (EXPLAIN ANALYZE on 1,000,000 runs:
-- each of these sorts read and sorted every run, 100–480 ms, before; 1–5 ms after). One index per
-- sort key in its default direction, with the (tag, run_id) tie-break of src/io/runs-query.ts, so a
-- page is the first rows of an index scan (forward or backward). A status or governance-flag filter
-- beside one of these sorts reads the index and filters. The non-default direction of a nullable
-- key (governance_flag desc, validated_at asc: NULLS LAST either way) still sorts.
CREATE INDEX IF NOT EXISTS slsa_runs_status_tag_idx ON public.slsa_runs (status, (tag COLLATE "C"), run_id);
CREATE INDEX IF NOT EXISTS slsa_runs_actor_tag_idx ON public.slsa_runs (actor, (tag COLLATE "C"), run_id);
CREATE INDEX IF NOT EXISTS slsa_runs_flag_tag_idx ON public.slsa_runs (governance_flag, (tag COLLATE "C"), run_id);
CREATE INDEX IF NOT EXISTS slsa_runs_validated_at_tag_idx
  ON public.slsa_runs (validated_at DESC NULLS LAST, (tag COLLATE "C") DESC, run_id DESC);
