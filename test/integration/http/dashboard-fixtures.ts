// Test data for the dashboard: realistic ledger entries (checked by the ledger's own schema), loaded
// by `ingest` from a ledger directory, on embedded PGlite or a fresh PostgreSQL database.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ingestLedger } from '../../../src/app/ingest.js';
import {
  manifestPathFor,
  parseEntry,
  serializeManifest,
  type LedgerEntry,
} from '../../../src/core/ledger/entry.js';
import { openDatabase } from '../../../src/io/db.js';
import { createTestDatabase } from '../../support/postgres.js';

/** In the database URL of the Postgres tests; never to appear in a response. */
export const fakePassword = 'sEcReT-pw-123';

const day = 86_400_000;

/** A small deterministic PRNG (mulberry32), so the data is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hex(n: number, random: () => number): string {
  let s = '';
  while (s.length < n) s += Math.floor(random() * 16).toString(16);
  return s;
}

const actors = ['release-bot', 'octocat', 'mona', 'hubot', 'dependabot[bot]'];
const failureReasons = [
  'artifact upload failed: 502 from uploads.github.com',
  'provenance signing failed: OIDC token expired',
  'tests failed on linux-arm64',
  'dispatch token expired: 401 Bad credentials',
];

/** A tag with `<` and a failure reason that is an XSS attempt: valid ledger data all the same. */
export const hostileTag = 'v6.6.6-<svg/onload=alert(1)>';
export const hostileReason = '<img src=x onerror="window.__pwned=true;alert(1)"> <b>bold?</b>';

/** `count` entries over the last `days` days before `now`, plus the hostile one (newest). */
export function makeDashboardEntries(now: Date, count = 120, days = 45, seed = 7): LedgerEntry[] {
  const random = prng(seed);
  const entries: LedgerEntry[] = [];
  const start = now.getTime() - days * day;
  for (let i = 0; i < count; i++) {
    const ts = new Date(start + Math.floor(((i + random() * 0.8) / count) * days * day));
    const timestamp = `${ts.toISOString().slice(0, 19)}Z`;
    const month = ts.getUTCMonth() + 1;
    const tag = i % 9 === 4 ? `release/v${2026}.${month}.${i}` : `v2026.${month}.${i}`;
    const failed = random() < 0.12;
    const missing = failed && random() < 0.5;
    const validated = !failed && random() < 0.9;
    const runId = 19_000_000_000 + i * 137;
    const base = {
      run_id: runId,
      tag,
      sha: hex(40, random),
      artifact_url: missing
        ? null
        : `https://github.com/acme/app/releases/download/${tag}/app-${tag.replace('/', '-')}.tar.gz`,
      actor: actors[i % actors.length]!,
      timestamp,
      status: failed ? 'failure' : 'success',
      governance_flag: missing
        ? 'artifact-missing'
        : failed
          ? 'validation-failed'
          : validated
            ? 'validated'
            : 'provenance-ready',
      release_url: `https://github.com/acme/app/releases/tag/${encodeURIComponent(tag)}`,
      ...(failed ? { failure_reason: failureReasons[i % failureReasons.length]! } : {}),
      ...(validated
        ? {
            governance_history: [{ flag: 'provenance-ready', timestamp, run_id: runId }],
            validation: {
              status: 'passed',
              validated_at:
                new Date(ts.getTime() + 600_000 + Math.floor(random() * 3_000_000))
                  .toISOString()
                  .slice(0, 19) + 'Z',
              validator_run_id: runId + 1,
            },
          }
        : {}),
      ...(failed
        ? {}
        : {
            provenance: {
              digest: `sha256:${hex(64, random)}`,
              predicate_type: 'https://slsa.dev/provenance/v1',
              builder_id: 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main',
              subjects: [{ name: `app-${i}.tar.gz`, sha256: hex(64, random) }],
            },
          }),
      metrics: {
        dispatch_token_expires_at: new Date(now.getTime() + 20 * day).toISOString().slice(0, 19) + 'Z',
        dispatch_token_rotated_at: new Date(now.getTime() - 70 * day).toISOString().slice(0, 19) + 'Z',
        artifact_upload_latency_s: Math.round((2 + random() * 30) * 10) / 10,
        lock_wait_s: Math.round(random() * 50) / 10,
        notify: { attempts: 1 + (random() < 0.1 ? 1 : 0), delivered: 1 },
      },
    };
    entries.push(parseEntry(base));
  }
  const ts = `${new Date(now.getTime() - 3_600_000).toISOString().slice(0, 19)}Z`;
  entries.push(
    parseEntry({
      run_id: 666,
      tag: hostileTag,
      sha: 'a'.repeat(40),
      artifact_url: null,
      actor: '<script>window.__pwned=true</script>',
      timestamp: ts,
      status: 'failure',
      governance_flag: 'artifact-missing',
      release_url: 'https://github.com/acme/app/releases/tag/v6.6.6',
      failure_reason: hostileReason,
    }),
  );
  return entries;
}

/** Writes the entries as a ledger (`docs/reports/<date>/manifest.json`, canonical bytes) in `dir`. */
export async function writeLedger(dir: string, entries: readonly LedgerEntry[]): Promise<void> {
  const byPath = new Map<string, LedgerEntry[]>();
  for (const entry of entries) {
    const path = manifestPathFor(entry);
    byPath.set(path, [...(byPath.get(path) ?? []), entry]);
  }
  for (const [path, group] of byPath) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), serializeManifest(group));
  }
}

/** An embedded database in `dir` with the entries ingested by `ingest` from a ledger directory. */
export async function preparePglite(
  dir: string,
  entries: readonly LedgerEntry[],
  second?: readonly LedgerEntry[],
): Promise<string> {
  const ledger = join(dir, 'ledger');
  await writeLedger(ledger, entries);
  const dataDir = join(dir, 'db');
  const result = await ingestLedger({ repo: ledger, dataDir, full: true, ledger: 'acme/widgets' });
  if (result.inserted !== entries.length) throw new Error(`ingested ${result.inserted} of ${entries.length}`);
  if (second !== undefined) {
    const other = join(dir, 'ledger-gadgets');
    await writeLedger(other, second);
    const more = await ingestLedger({ repo: other, dataDir, full: true, ledger: 'acme/gadgets' });
    if (more.inserted !== second.length) throw new Error(`ingested ${more.inserted} of ${second.length}`);
  }
  return dataDir;
}

/** A fresh PostgreSQL database, migrated, with the entries ingested by `ingest` from a ledger directory. */
export async function preparePostgres(
  dir: string,
  entries: readonly LedgerEntry[],
): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const created = await createTestDatabase('dashboard');
  // trust auth ignores the password: it is there to prove no response ever shows it
  const fresh = { ...created, url: created.url.replace('postgres@', `postgres:${fakePassword}@`) };
  await (await openDatabase({ databaseUrl: fresh.url, migrate: true })).close();
  const ledger = join(dir, 'ledger');
  await writeLedger(ledger, entries);
  const result = await ingestLedger({ repo: ledger, databaseUrl: fresh.url, full: true });
  if (result.inserted !== entries.length) throw new Error(`ingested ${result.inserted} of ${entries.length}`);
  return fresh;
}
