// The manifest list of a window, a page at a time (`GET /api/manifests`): the files holding runs of
// the window with each file's latest SHA-256, as the report's `manifest_hash` gives them, in
// (repository, path) byte order from a keyset cursor. A report of several repositories leaves this
// list out (docs/deviations.md); this is where its reader gets it without a 36,500-file answer.
import type { KpiScope, KpiWindow } from '../core/kpi/kpi.js';
import type { ManifestCursor } from '../core/dashboard/query.js';
import { readerViews, type DbClient } from './db.js';
import { edgeRuns, resolveScope, splitWindowParams, wholeDays, wholeEdges } from './kpi-queries.js';
import { withReader } from './runs-query.js';

export interface ManifestFile {
  readonly repository: string;
  readonly path: string;
  readonly hash: string;
}

export interface ManifestPage {
  readonly files: readonly ManifestFile[];
  /** the cursor of the last file when more follow, else null */
  readonly next: ManifestCursor | null;
}

const dayManifests = `public.${readerViews.dayManifests}`;
const manifests = `public.${readerViews.manifests}`;

// $1–$4 the window split (splitWindowParams), $5 the page size + 1, $6 and $7 the cursor (after it;
// both null: from the start), $8 the scope's repositories when scoped. Each part (whole days from
// the rollup's per-day files, in the order of their (repository, path, day) index of migration
// …131100; the edge days from the runs) gives its first $5 files after the cursor; the page's first
// $5 files are among them (a file among the union's first k is among its own part's first k), and a
// file's smallest hash over both parts is its hash among the window's runs, as the report takes it;
// the file's latest hash, when known, is one probe of the manifests' key per file of the page.
const pageSql = (scoped: boolean): string => {
  const after = (repo: string, path: string): string =>
    `($6::text IS NULL OR (${repo} COLLATE "C", ${path} COLLATE "C") > ($6::text COLLATE "C", $7::text COLLATE "C"))`;
  return `
SELECT g.repository, g.path,
       coalesce((SELECT m.manifest_hash FROM ${manifests} m
                  WHERE m.repository = g.repository COLLATE "default" AND m.path = g.path COLLATE "default"), g.hash) AS hash
  FROM (SELECT x.repository, x.path, min(x.hash) AS hash
          FROM ((SELECT d.repository COLLATE "C" AS repository, d.manifest_path COLLATE "C" AS path,
                        min(d.manifest_hash COLLATE "C") AS hash
                   FROM ${dayManifests} d
                  WHERE ${wholeDays} AND ${after('d.repository', 'd.manifest_path')}${scoped ? ' AND d.repository COLLATE "C" = ANY($8::text[])' : ''}
                  GROUP BY 1, 2 ORDER BY 1, 2 LIMIT $5)
                UNION ALL
                (SELECT e.repository COLLATE "C", e.manifest_path COLLATE "C", min(e.manifest_hash COLLATE "C")
                   FROM (${edgeRuns('repository, manifest_path, manifest_hash', scoped).replace(/\$5::text\[\]/g, '$8::text[]')}) e
                  WHERE ${after('e.repository', 'e.manifest_path')}
                  GROUP BY 1, 2 ORDER BY 1, 2 LIMIT $5)) x
         GROUP BY 1, 2 ORDER BY 1, 2 LIMIT $5) g
 ORDER BY g.repository, g.path`;
};

/**
 * One page of the window's manifest files in the scope, after the cursor (one READ ONLY
 * transaction; database failures as DB_UNAVAILABLE / DB_QUERY_FAILED).
 */
export async function listManifestFiles(
  db: DbClient,
  window: KpiWindow,
  scope: KpiScope | undefined,
  page: { readonly limit: number; readonly after?: ManifestCursor },
): Promise<ManifestPage> {
  return withReader(db, async (tx) => {
    const repos = await resolveScope(tx, scope);
    const params: unknown[] = [
      ...splitWindowParams(window, await wholeEdges(tx, window)),
      page.limit + 1,
      page.after?.repository ?? null,
      page.after?.path ?? null,
      ...(repos === undefined ? [] : [repos]),
    ];
    const rows = (await tx.query<ManifestFile>(pageSql(repos !== undefined), params)).rows;
    const files = rows
      .slice(0, page.limit)
      .map((r) => ({ repository: r.repository, path: r.path, hash: r.hash }));
    const last = files[files.length - 1];
    return {
      files,
      next:
        rows.length > page.limit && last !== undefined
          ? { repository: last.repository, path: last.path }
          : null,
    };
  });
}
