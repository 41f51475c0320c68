// Shared by the serve audit's tests: a raw HTTP client (any method, Host, header or request line)
// and a small ledger served by `serve` on embedded PGlite or a fresh PostgreSQL database.
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveDashboard, type RunningDashboard, type ServeDashboardOptions } from '../../../src/app/serve.js';
import type { LedgerEntry } from '../../../src/core/ledger/entry.js';
import { silentLogger, type Logger } from '../../../src/core/ports.js';
import { openDatabase, type DbClient } from '../../../src/io/db.js';
import { makeDashboardEntries, preparePglite, preparePostgres } from '../http/dashboard-fixtures.js';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

/** One request through node:http (so Host and method can be anything). */
export function send(
  base: string,
  path: string,
  options: {
    method?: string;
    host?: string;
    headers?: Record<string, string>;
    /** the client's own address (127.0.0.2 …: another peer on loopback) */
    localAddress?: string;
  } = {},
): Promise<Reply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port,
        path,
        method: options.method ?? 'GET',
        headers: { Host: options.host ?? url.host, ...options.headers },
        ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Raw bytes on a socket; resolves with everything the server wrote before it closed (or `ms` passed). */
export function sendRaw(base: string, bytes: string, ms = 5_000): Promise<string> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.write(bytes));
    let out = '';
    const timer = setTimeout(() => socket.destroy(), ms);
    socket.on('data', (b: Buffer) => (out += b.toString('latin1')));
    socket.on('error', (error) => (out === '' ? reject(error) : undefined));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

export const engines = (withPostgres: boolean) =>
  [
    { name: 'pglite', skip: false },
    { name: 'postgres', skip: !withPostgres },
  ] as const;

/** `serve` on a small ledger; `close` stops it and removes its data. */
export async function startServe(
  engine: 'pglite' | 'postgres',
  options: {
    entries?: LedgerEntry[];
    logger?: Logger;
    /** runs on the database (as its owner) after the ingest, before the server opens it */
    prepare?: (db: DbClient) => Promise<void>;
    /** `--host` (default 127.0.0.1) */
    host?: string;
    /** more of serve's options (`allowRemote`, `allowedHosts`, `rateLimitPerMinute`, …) */
    serve?: Partial<ServeDashboardOptions>;
  } = {},
): Promise<{ server: RunningDashboard; close(): Promise<void>; databaseUrl?: string }> {
  const entries = options.entries ?? makeDashboardEntries(new Date(), 20, 10);
  const dir = await mkdtemp(join(tmpdir(), 'slsa-serve-audit-'));
  const logger = options.logger ?? silentLogger;
  if (engine === 'pglite') {
    const dataDir = await preparePglite(dir, entries);
    if (options.prepare !== undefined) await withOwner(openDatabase({ dataDir }), options.prepare);
    const server = await serveDashboard({
      dataDir,
      port: 0,
      logger,
      ...(options.host === undefined ? {} : { host: options.host }),
      ...options.serve,
    });
    return {
      server,
      async close() {
        await server.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  const db = await preparePostgres(dir, entries);
  if (options.prepare !== undefined) {
    await withOwner(openDatabase({ databaseUrl: db.url }), options.prepare);
  }
  const server = await serveDashboard({
    databaseUrl: db.url,
    port: 0,
    logger,
    ...(options.host === undefined ? {} : { host: options.host }),
    ...options.serve,
  });
  return {
    server,
    databaseUrl: db.url,
    async close() {
      await server.close();
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function withOwner(opening: Promise<DbClient>, fn: (db: DbClient) => Promise<void>): Promise<void> {
  const db = await opening;
  try {
    await fn(db);
  } finally {
    await db.close();
  }
}
