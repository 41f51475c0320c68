// The sixteenth session's ingest audit: the ingest function's tag check took what the entry schema
// refuses (an invisible or bidirectional-control character, a non-ASCII space, a tag not in NFC), so
// whoever holds the ingest key could store `v1.0.0` + U+200B beside `v1.0.0`: two runs that read
// alike. The function now accepts exactly the tags the schema accepts, around every edge of the
// schema's invisible ranges and for composed and decomposed forms. Both engines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from '../../../src/app/migrate.js';
import { tagProblem } from '../../../src/core/ledger/entry.js';
import { openDatabase } from '../../../src/io/db.js';
import { createSqlIngestSink } from '../../../src/io/ingest-sink.js';
import { makeEntry } from '../../support/ledger.js';
import { createEngineTarget, testEngines, type EngineTarget } from '../../support/postgres.js';

const engines = await testEngines();

// eslint-disable-next-line no-misleading-character-class -- single code points, as in entry.ts
const INVISIBLE = /[\p{Cf}\p{Z}\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0\ufe00-\ufe0f]/u;

/** Every code point at an edge of the schema's invisible ranges, and its neighbours. */
function edgeCodePoints(): number[] {
  const out = new Set<number>();
  let inside = false;
  for (let cp = 0x21; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const hit = INVISIBLE.test(String.fromCodePoint(cp));
    if (hit !== inside) for (const n of [cp - 1, cp, cp + 1]) out.add(n);
    inside = hit;
  }
  return [...out].filter((cp) => cp > 0x20 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff));
}

describe.each(engines)('tags the schema refuses, on %s', (engine) => {
  let target: EngineTarget;
  beforeAll(async () => {
    target = await createEngineTarget(engine, 'tagu');
    await migrateDatabase(target.options);
  });
  afterAll(async () => {
    await target?.cleanup();
  });

  it('the function accepts exactly the tags the schema accepts', async () => {
    const tags = [
      ...edgeCodePoints().map((cp) => `v1.0.0${String.fromCodePoint(cp)}`),
      ...edgeCodePoints().map((cp) => `v1${String.fromCodePoint(cp)}0`),
      'vé'.normalize('NFC'),
      'vé'.normalize('NFD'),
      'release-Å'.normalize('NFD'),
      'v1.0-β',
      'v1.0.0',
      'Ω'.normalize('NFD'), // U+2126 OHM SIGN: NFC is U+03A9
      '\u2126',
    ];
    const db = await openDatabase({ ...target.options, role: 'owner' });
    try {
      const rows = await db.query<{ t: string; problem: string | null }>(
        'SELECT t, public.slsa_check_tag(to_jsonb(t)) AS problem FROM unnest($1::text[]) AS t',
        [tags],
      );
      const mismatches = rows.rows
        .filter((r) => (r.problem === null) !== (tagProblem(r.t) === undefined))
        .map((r) => ({ tag: JSON.stringify(r.t), db: r.problem, schema: tagProblem(r.t) ?? null }));
      expect(mismatches).toEqual([]);
      expect(rows.rows.length).toBe(tags.length);
    } finally {
      await db.close();
    }
  }, 120_000);

  it('the ingest key cannot store a twin of a tag with a zero-width space', async () => {
    const db = await openDatabase({ ...target.options, role: 'ingest' });
    const sink = createSqlIngestSink(db);
    const commit = 'c'.repeat(40);
    try {
      const id = crypto.randomUUID();
      await sink.begin({ ingest_id: id, repository: 'acme/tags', engine, to_commit: commit });
      const item = (tag: string) => ({
        entry: makeEntry({ tag }),
        manifest_path: 'docs/reports/2025-11-24/manifest.json',
        manifest_hash: 'e'.repeat(64),
        git_commit: commit,
      });
      const counts = await sink.upsert(id, [item('v1.2.3'), item('v1.2.3\u200b'), item('ve\u0301')]);
      expect(counts.inserted).toBe(1);
      expect(counts.failed.map((f) => f.reason)).toEqual([
        'tag must not contain invisible, bidirectional-control or space characters',
        'tag must be in unicode normalization form C (NFC)',
      ]);
      await sink.finish({ ingest_id: id, status: 'failed', entries_failed: 0, watermark: null });
    } finally {
      await sink.close();
    }
  }, 120_000);
});
