// The twenty-first session's mutation audit of the ingest function's checks (docs/status.md, issue
// 17), the ops around the entries: what whoever holds the ingest key may do with `begin`, `upsert`
// and `finish` beyond storing entries the schema accepts. Each check below let a mutant of the
// function through the earlier tests: a repository name of three parts, a `to_commit` that is no
// commit id, an http or credential-bearing ledger link, an upsert into a finished ingest, a finish
// back to `running`, a watermark moved by a failed ingest, an alert name or head out of shape, a
// refused entry without its row in ingest_entry_failures, a rename merging into a name that holds
// an ingested commit or runs, rewrites accepted twice or after the ingest ended. Called as the
// ingest role, the way an attacker holding the key would. Both engines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from '../../../src/app/migrate.js';
import { openDatabase, type DbClient } from '../../../src/io/db.js';
import { makeEntry } from '../../support/ledger.js';
import { createEngineTarget, testEngines, type EngineTarget } from '../../support/postgres.js';

const engines = await testEngines();

type Json = Record<string, unknown>;

describe.each(engines)('the ingest key’s ops around the entries, on %s', (engine) => {
  let target: EngineTarget;
  let db: DbClient;
  const commit = 'c'.repeat(40);
  const call = async (batch: Json): Promise<Json> =>
    (await db.query<{ r: Json }>('SELECT public.slsa_ingest_batch($1::jsonb) AS r', [JSON.stringify(batch)]))
      .rows[0]!.r;
  const refusal = async (batch: Json): Promise<string | undefined> => {
    try {
      await call(batch);
      return undefined;
    } catch (error) {
      return (error as { details?: { sqlstate?: string } }).details?.sqlstate ?? 'other';
    }
  };
  const item = (run_id: number, extra: Json = {}): Json => ({
    entry: makeEntry({ run_id, tag: `v3.0.${run_id}` }),
    manifest_path: 'docs/reports/2025-11-24/manifest.json',
    manifest_hash: 'f'.repeat(64),
    git_commit: commit,
    ...extra,
  });
  /** Reads as the owner (an embedded database is open once per process: the key's session steps aside). */
  const asOwner = async <T>(sql: string, params: unknown[] = []): Promise<T[]> => {
    await db.close();
    const owner = await openDatabase({ ...target.options, role: 'owner' });
    try {
      return (await owner.query<T>(sql, params)).rows;
    } finally {
      await owner.close();
      db = await openDatabase({ ...target.options, role: 'ingest' });
    }
  };

  beforeAll(async () => {
    target = await createEngineTarget(engine, 'bounds');
    await migrateDatabase(target.options);
    db = await openDatabase({ ...target.options, role: 'ingest' });
  });
  afterAll(async () => {
    await db?.close();
    await target?.cleanup();
  });

  it('begin: a repository is owner/name of 1 to 100 characters each; to_commit is a commit id', async () => {
    const begin = (extra: Json) =>
      refusal({ op: 'begin', ingest_id: crypto.randomUUID(), engine, to_commit: commit, ...extra });
    const names: [string, boolean][] = [
      [`${'a'.repeat(100)}/${'b'.repeat(100)}`, true],
      ['acme', true],
      [`${'a'.repeat(101)}/b`, false],
      [`a/${'b'.repeat(101)}`, false],
      ['acme/widgets/extra', false],
      ['acme/', false],
      ['/widgets', false],
      ['acme/wid gets', false],
      ['acme/widgets\n', false],
    ];
    const verdicts = [];
    for (const [repository] of names) verdicts.push((await begin({ repository })) === undefined);
    expect(verdicts).toEqual(names.map(([, ok]) => ok));
    const commits: [string, boolean][] = [
      ['d'.repeat(64), true],
      ['d'.repeat(39), false],
      ['d'.repeat(41), false],
      ['D'.repeat(40), false],
      [`${'d'.repeat(40)}\n`, false],
      ['g'.repeat(40), false],
    ];
    const commitVerdicts = [];
    for (const [to_commit] of commits)
      commitVerdicts.push((await begin({ repository: 'acme/commits', to_commit })) === undefined);
    expect(commitVerdicts).toEqual(commits.map(([, ok]) => ok));
  });

  it('begin: the ledger link is kept only as an https url without credentials, of at most 2000', async () => {
    const links: [string, boolean][] = [
      ['https://github.com/acme/l1', true],
      [`https://github.com/${'x'.repeat(2000 - 19)}`, true],
      [`https://github.com/${'x'.repeat(2001 - 19)}`, false],
      ['http://github.com/acme/l4', false],
      ['javascript:alert(1)//https://x', false],
      ['https://u:p@github.com/acme/l6', false],
      ['https://github.com/acme/l 7', false],
    ];
    for (const [i, [ledger_url]] of links.entries())
      await call({
        op: 'begin',
        ingest_id: crypto.randomUUID(),
        repository: `acme/link${i}`,
        engine,
        ledger_url,
      });
    const rows = await asOwner<{ repository: string; ledger_url: string | null }>(
      "SELECT repository, ledger_url FROM public.provenance_repositories WHERE repository LIKE 'acme/link%' ORDER BY repository",
    );
    expect(rows.map((r) => r.ledger_url !== null)).toEqual(links.map(([, ok]) => ok));
  });

  it('upsert: only into a running ingest; every refused entry has its row in ingest_entry_failures', async () => {
    const id = crypto.randomUUID();
    await call({ op: 'begin', ingest_id: id, repository: 'acme/closed', engine, to_commit: commit });
    const reply = await call({
      op: 'upsert',
      ingest_id: id,
      entries: [
        item(1),
        item(2, { entry: { ...makeEntry({ run_id: 2 }), sha: 'x' } }),
        item(3, { manifest_hash: 'x' }),
      ],
    });
    expect(reply).toMatchObject({ inserted: 1, failed: [{ index: 1 }, { index: 2 }] });
    expect(await call({ op: 'finish', ingest_id: id, status: 'failed', error: 'two refused' })).toMatchObject(
      {
        status: 'failed',
      },
    );
    // a finished ingest takes no more entries, and is not finished again
    expect(await refusal({ op: 'upsert', ingest_id: id, entries: [item(4)] })).toBe('22023');
    expect(await refusal({ op: 'finish', ingest_id: id, status: 'succeeded', watermark: commit })).toBe(
      '22023',
    );
    const failures = await asOwner<{ n: number }>(
      "SELECT count(*)::int AS n FROM public.ingest_entry_failures WHERE repository = 'acme/closed' AND ingest_id = $1",
      [id],
    );
    expect(failures).toEqual([{ n: 2 }]);
    const runs = await asOwner<{ status: string; entries_refused: number; watermark: string | null }>(
      `SELECT r.status, r.entries_refused, w.git_commit AS watermark
         FROM public.ingest_runs r JOIN public.ingest_watermark w ON w.ledger = r.ledger WHERE r.id = $1`,
      [id],
    );
    expect(runs).toEqual([{ status: 'failed', entries_refused: 2, watermark: null }]);
  });

  it('finish: succeeded or failed only; a failed ingest never moves the watermark; alert and head in shape', async () => {
    const id = crypto.randomUUID();
    await call({ op: 'begin', ingest_id: id, repository: 'acme/finish', engine, to_commit: commit });
    expect(await refusal({ op: 'finish', ingest_id: id, status: 'running' })).toBe('22023');
    expect(await refusal({ op: 'finish', ingest_id: id, status: 'SUCCEEDED', watermark: commit })).toBe(
      '22023',
    );
    // a failed ingest naming the declared commit as its watermark: the watermark stays
    const failed = await call({
      op: 'finish',
      ingest_id: id,
      status: 'failed',
      watermark: commit,
      alert: 'x'.repeat(65),
      entries_failed: -5,
    });
    expect(failed).toMatchObject({ status: 'failed', watermark: null });
    const second = crypto.randomUUID();
    await call({ op: 'begin', ingest_id: second, repository: 'acme/finish', engine, to_commit: commit });
    await call({
      op: 'finish',
      ingest_id: second,
      status: 'failed',
      alert: 'ledger-history-rewritten',
      head: `${'e'.repeat(40)}x`,
    });
    const rows = await asOwner<{ id: string; alert: string | null; entries_failed: number }>(
      'SELECT id, alert, entries_failed FROM public.ingest_runs WHERE id = ANY($1::uuid[]) ORDER BY started_at, id',
      [[id, second]],
    );
    expect(rows.find((r) => r.id === id)).toMatchObject({ alert: null, entries_failed: 0 });
    expect(rows.find((r) => r.id === second)).toMatchObject({ alert: 'ledger-history-rewritten' });
    const repo = await asOwner<{
      watermark: string | null;
      rewritten_at: Date | null;
      rewritten_head: string | null;
    }>(
      "SELECT watermark, rewritten_at, rewritten_head FROM public.provenance_repositories WHERE repository = 'acme/finish'",
    );
    expect(repo).toEqual([{ watermark: null, rewritten_at: expect.any(Date), rewritten_head: null }]);
  });

  it('rename never merges into a name that holds an ingested commit or runs; rewrites are accepted once per ingest', async () => {
    const fill = async (
      repository: string,
      status: 'succeeded' | 'failed',
      entries: Json[],
    ): Promise<void> => {
      const id = crypto.randomUUID();
      await call({ op: 'begin', ingest_id: id, repository, engine, to_commit: commit });
      await call({ op: 'upsert', ingest_id: id, entries });
      await call({
        op: 'finish',
        ingest_id: id,
        status,
        ...(status === 'succeeded' ? { watermark: commit } : {}),
      });
    };
    await fill('acme/source', 'succeeded', [item(90)]);
    await fill('acme/committed', 'succeeded', []); // an ingested commit, no run
    await fill('acme/populated', 'failed', [item(91)]); // a run, no ingested commit
    const rename = async (to: string): Promise<Json> =>
      (
        await db.query<{ r: Json }>('SELECT public.slsa_rename_repository($1::jsonb) AS r', [
          JSON.stringify({ rename_id: crypto.randomUUID(), from: 'acme/source', to }),
        ])
      ).rows[0]!.r;
    expect(await rename('acme/committed')).toMatchObject({ renamed: false, refused: 'taken' });
    expect(await rename('acme/populated')).toMatchObject({ renamed: false, refused: 'taken' });

    const id = crypto.randomUUID();
    await call({ op: 'begin', ingest_id: id, repository: 'acme/rewritten', engine, to_commit: commit });
    const accept = () =>
      db.query('SELECT public.slsa_ingest_rewrites($1::jsonb) AS r', [
        JSON.stringify({
          op: 'accept',
          ingest_id: id,
          head: commit,
          rewrites: [
            { commit: 'd'.repeat(40), path: 'docs/reports/2025-11-24/manifest.log', message: 'cut' },
          ],
        }),
      ]);
    await accept();
    await expect(accept()).rejects.toMatchObject({ details: { sqlstate: '22023' } });
    // nor into a finished ingest
    await call({ op: 'finish', ingest_id: id, status: 'failed' });
    const closed = crypto.randomUUID();
    await call({ op: 'begin', ingest_id: closed, repository: 'acme/rewritten', engine, to_commit: commit });
    await call({ op: 'finish', ingest_id: closed, status: 'failed' });
    await expect(
      db.query('SELECT public.slsa_ingest_rewrites($1::jsonb) AS r', [
        JSON.stringify({ op: 'list', ingest_id: closed }),
      ]),
    ).rejects.toMatchObject({ details: { sqlstate: '22023' } });
  });
});
