// The Supabase Edge Function under the real Deno (npm package `deno`): it accepts a POST of
// entries with the service key and calls slsa_ingest_batch through the PostgREST-contract server,
// which runs it as slsa_manifest_ingest on the real database.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from '../../../src/app/migrate.js';
import { stopChild } from '../../support/child.js';
import { kpiFixtureEntries } from '../../support/kpi-fixture.js';
import {
  assertPostgresInCi,
  createTestDatabase,
  hasPostgres,
  sqlOn,
  type TestDatabase,
} from '../../support/postgres.js';
import { signJwt, startPostgrestServer, type PostgrestServer } from '../../support/postgrest-server.js';

const runPg = await hasPostgres();
const require = createRequire(import.meta.url);
const denoBin = fileURLToPath(new URL('../../../node_modules/.bin/deno', import.meta.url));
const fnFile = fileURLToPath(
  new URL('../../../supabase/functions/provenance-manifest-sync/index.ts', import.meta.url),
);

it('PostgreSQL is reachable in CI', async () => {
  await assertPostgresInCi();
});

const secret = 'edge-test-jwt-secret-at-least-32-characters';
const serviceKey = signJwt({ role: 'slsa_manifest_ingest' }, secret);

describe.runIf(runPg)('provenance-manifest-sync under Deno', () => {
  let db: TestDatabase;
  let rest: PostgrestServer;
  let deno: ChildProcess;
  let url: string;

  beforeAll(async () => {
    require.resolve('deno/package.json');
    db = await createTestDatabase('edge');
    await migrateDatabase({ databaseUrl: db.url });
    rest = await startPostgrestServer({ databaseUrl: db.url, jwtSecret: secret });
    deno = spawn(denoBin, ['run', '--allow-net=127.0.0.1', '--allow-env', fnFile], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DENO_NO_UPDATE_CHECK: '1',
        NO_COLOR: '1',
        PORT: '0',
        HOSTNAME: '127.0.0.1',
        SUPABASE_URL: rest.url,
        SLSA_MANIFEST_SERVICE_KEY: serviceKey,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      let err = '';
      deno.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      deno.stderr!.on('data', (b: Buffer) => (err += b.toString()));
      deno.on('exit', (code) => reject(new Error(`deno exited ${code}: ${err}`)));
      setTimeout(() => reject(new Error(`deno did not start: ${err}`)), 60_000);
    });
  });
  afterAll(async () => {
    // wait for Deno's exit (test/support/child.ts): a Deno still answering while the PostgREST
    // stand-in closes and the database is dropped, or still running when the file ends, is the
    // race serve-alert.test.ts hit in CI
    if (deno !== undefined) await stopChild(deno);
    await rest?.close();
    await db?.drop();
  });

  const items = kpiFixtureEntries.map((entry) => ({
    entry,
    manifest_path: `docs/reports/${entry.timestamp.slice(0, 10)}/manifest.json`,
    manifest_hash: 'c'.repeat(64),
    git_commit: 'd'.repeat(40),
  }));
  const post = (key: string | undefined, body: unknown) =>
    fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
      },
      body: JSON.stringify(body),
    });

  it('upserts the posted entries through slsa_ingest_batch as the ingest role', async () => {
    const res = await post(serviceKey, { entries: items, watermark: 'd'.repeat(40) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      ok: true,
      result: { seen: 6, inserted: 6, watermark: 'd'.repeat(40) },
    });
    expect(rest.calls.every((c) => c.role === 'slsa_manifest_ingest' && c.fn === 'slsa_ingest_batch')).toBe(
      true,
    );
    expect((await sqlOn<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM slsa_runs'))[0]!.n).toBe(6);
    const again = await post(serviceKey, { entries: items });
    expect(await again.json()).toMatchObject({ result: { seen: 6, inserted: 0, updated: 0, unchanged: 6 } });
  });

  it('refuses a missing or wrong key with 401 and writes nothing', async () => {
    const calls = rest.calls.length;
    expect((await post(undefined, { entries: items })).status).toBe(401);
    expect(
      (await post(signJwt({ role: 'slsa_manifest_ingest' }, 'x'.repeat(40)), { entries: items })).status,
    ).toBe(401);
    expect(rest.calls.length).toBe(calls);
  });

  it('refuses a malformed body with 400 and a wrong method with 405', async () => {
    expect((await post(serviceKey, { entries: [{ entry: { tag: 'v1' } }] })).status).toBe(400);
    expect((await post(serviceKey, [1, 2])).status).toBe(400);
    expect((await fetch(url, { method: 'GET' })).status).toBe(405);
  });

  it('an entry the database refuses fails alone, reported with its reason; the rest lands', async () => {
    const before = (await sqlOn<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM slsa_runs'))[0]!.n;
    const bad = [
      { ...items[0]!, entry: { ...items[0]!.entry, tag: 'v7.0.0' } },
      { ...items[1]!, entry: { ...items[1]!.entry, tag: 'v7.0.1', timestamp: 'never' } },
    ];
    const res = await post(serviceKey, { entries: bad });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      ok: false,
      result: {
        inserted: 1,
        failed: [{ index: 1, tag: 'v7.0.1', reason: expect.stringContaining('timestamp') }],
      },
    });
    expect((await sqlOn<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM slsa_runs'))[0]!.n).toBe(
      before + 1,
    );
  });
});
