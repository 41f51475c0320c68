-- The paged manifest list (issue 17: `GET /api/manifests`, `kpi --manifests`): a page of the window's
-- files in (repository, path) byte order, from a cursor, is one range of this index read in order
-- (its days filtered inside the index, the hash carried), so a page costs its own size plus the
-- other days' entries of its files, not a sort of every file of the window.
CREATE INDEX IF NOT EXISTS slsa_kpi_day_manifests_file_idx
  ON public.slsa_kpi_day_manifests (repository COLLATE "C", manifest_path COLLATE "C", day) INCLUDE (manifest_hash);
