// `serve` behind a real PgBouncer (Debian's package; .ci/run installs it). PgBouncer's documentation
// lists LISTEN among the session features transaction pooling does not keep
// (https://www.pgbouncer.org/features.html, "SQL feature map for pooling modes"): the server
// connection that ran the LISTEN goes back to the pool, and a notification that reaches it while no
// client holds it is not passed on. `serve` cannot see that from the LISTEN, which succeeds, so it
// sends a test notification from another connection after each LISTEN and warns when it does not
// arrive. Through session pooling, and directly, it arrives and nothing is said.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestLedger } from '../../../src/app/ingest.js';
import { loadKpiReport } from '../../../src/app/kpi.js';
import { serveDashboard } from '../../../src/app/serve.js';
import type { Logger } from '../../../src/core/ports.js';
import { silentLogger } from '../../../src/core/ports.js';
import { openDatabase, READ_ONLY_SNAPSHOT } from '../../../src/io/db.js';
import { assertPostgresInCi, hasPostgres } from '../../support/postgres.js';
import { until } from '../../support/until.js';
import { makeDashboardEntries, preparePostgres, writeLedger } from './dashboard-fixtures.js';

await assertPostgresInCi();
const withPostgres = await hasPostgres();
const pgbouncer = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((p) => existsSync(p));
if (pgbouncer === undefined && process.env.CI === 'true') {
  throw new Error('CI=true but no pgbouncer (.ci/run installs Debian’s package)');
}
if (pgbouncer === undefined)
  console.warn('SKIP: no pgbouncer (apt-get install pgbouncer); serve-pooler is skipped');

const now = new Date();
const first = makeDashboardEntries(now, 30, 30, 21);
const second = makeDashboardEntries(now, 20, 30, 22).map((e) => ({ ...e, tag: `${e.tag}-b` }));
const SILENT_AFTER_MS = 3_000;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe.skipIf(!withPostgres || pgbouncer === undefined)('serve behind PgBouncer (PostgreSQL)', () => {
  let dir: string;
  let db: { url: string; name: string; drop(): Promise<void> };
  let bouncer: ChildProcess | undefined;
  let port: number;
  let output = '';
  // the same database through PgBouncer, in transaction and in session mode
  const via = (mode: 'transaction' | 'session'): string => {
    const u = new URL(db.url);
    u.port = String(port);
    u.pathname = `/${mode === 'transaction' ? db.name : 'session_pooled'}`;
    return u.toString();
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slsa-serve-pooler-'));
    db = await preparePostgres(dir, first);
    port = await freePort();
    const conf = join(dir, 'pgbouncer');
    await writeFile(`${conf}.users`, '"postgres" ""\n');
    await writeFile(
      `${conf}.ini`,
      [
        '[databases]',
        `session_pooled = host=127.0.0.1 port=5432 dbname=${db.name} pool_mode=session`,
        '* = host=127.0.0.1 port=5432',
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        'unix_socket_dir =',
        'auth_type = trust',
        `auth_file = ${conf}.users`,
        'pool_mode = transaction',
        // session pooling holds a server connection per client: serve's pool, its listener and its test
        'default_pool_size = 20',
        // node-postgres sends the role as `options` (-c role=…), which PgBouncer 1.18 does not pass on
        'ignore_startup_parameters = extra_float_digits,options',
        '',
      ].join('\n'),
    );
    // PgBouncer will not run as root: it drops to the postgres user, who must read its files
    await chmod(dir, 0o755);
    const asRoot = process.getuid?.() === 0;
    bouncer = spawn(pgbouncer!, [...(asRoot ? ['-u', 'postgres'] : []), `${conf}.ini`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    bouncer.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    bouncer.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const end = Date.now() + 15_000;
    while (!(await accepting(port))) {
      if (Date.now() > end || bouncer.exitCode !== null)
        throw new Error(`pgbouncer did not start: ${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }, 60_000);
  afterAll(async () => {
    bouncer?.kill('SIGTERM');
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const serveOn = async (url: string) => {
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (m) => warnings.push(m) };
    const server = await serveDashboard({
      databaseUrl: url,
      port: 0,
      logger,
      readAheadQuietMs: 50,
      listenSilentAfterMs: SILENT_AFTER_MS,
    });
    return { server, warnings };
  };
  const silent = (w: string): boolean => /a test notification sent after LISTEN did not arrive/.test(w);

  it('warns when its URL goes through transaction pooling, where no notification arrives', async () => {
    const { server, warnings } = await serveOn(via('transaction'));
    try {
      // the dashboard itself works through the pooler
      const res = await fetch(new URL('/api/kpi?since=1970-01-01', server.url));
      expect(res.status).toBe(200);
      expect(((await res.json()) as { metrics: { entries: number } }).metrics.entries).toBe(first.length);
      await until('the warning', () => warnings.some(silent));
      expect(warnings.filter(silent)).toHaveLength(1);
      expect(warnings.find(silent)).toMatch(/pooler in transaction mode .* direct or session-mode URL/);
      // and it is right: another process's ingest is not announced
      const other = join(dir, 'ledger-b');
      await writeLedger(other, second);
      await ingestLedger({ repo: other, databaseUrl: db.url, full: true, ledger: 'acme/gadgets' });
      await new Promise((r) => setTimeout(r, 1_000));
      expect(server.readAheads().afterCommit).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('gives a report a second connection on its snapshot through transaction pooling', async () => {
    // each transaction gets a server connection of its own there: the exported snapshot is imported
    // by another server process (docs/database.md "Two connections, one snapshot")
    const pooled = await openDatabase({ databaseUrl: via('transaction'), role: 'reader' });
    const direct = await openDatabase({ databaseUrl: db.url, role: 'owner' });
    try {
      await direct.exec('CREATE TABLE IF NOT EXISTS public.beside_probe (x integer)');
      const [before, beside, pids] = await pooled.transaction(async (tx) => {
        await tx.query(READ_ONLY_SNAPSHOT);
        const count = 'SELECT count(*)::integer AS n FROM public.beside_probe';
        const n = (await tx.query<{ n: number }>(count)).rows[0]!.n;
        await direct.query('INSERT INTO public.beside_probe VALUES (1)');
        const side = await tx.beside!();
        expect(side).toBeDefined();
        const pid = 'SELECT pg_backend_pid() AS p';
        return [
          n,
          (await side!.query<{ n: number }>(count)).rows[0]!.n,
          [
            (await tx.query<{ p: number }>(pid)).rows[0]!.p,
            (await side!.query<{ p: number }>(pid)).rows[0]!.p,
          ],
        ] as const;
      });
      expect(beside).toBe(before);
      expect(pids[0]).not.toBe(pids[1]);
      const window = { since: '1970-01-01T00:00:00.000Z', until: now.toISOString() };
      expect(await loadKpiReport(pooled, window, now)).toEqual(await loadKpiReport(direct, window, now));
    } finally {
      await direct.exec('DROP TABLE IF EXISTS public.beside_probe').catch(() => undefined);
      await pooled.close();
      await direct.close();
    }
  });

  it('says nothing directly or through session pooling, where notifications arrive', async () => {
    for (const url of [db.url, via('session')]) {
      const { server, warnings } = await serveOn(url);
      try {
        const before = server.readAheads().afterCommit;
        // another process announces a change: serve reads ahead
        const client = new (await import('pg')).default.Client({ connectionString: db.url });
        await client.connect();
        await client.query('DELETE FROM public.slsa_runs WHERE false');
        await client.end();
        await until('a read ahead', () => server.readAheads().afterCommit > before);
        await new Promise((r) => setTimeout(r, SILENT_AFTER_MS + 500));
        expect(warnings.filter(silent)).toEqual([]);
        // the test notification itself is not taken for a change
        expect(server.readAheads().afterCommit).toBe(before + 1);
      } finally {
        await server.close();
      }
    }
  });
});
