// `serve --trusted-proxy`: behind a reverse proxy every request comes from the proxy's address, so
// before this flag one client past its rate limit had every client refused (one bucket for all).
// Now a trusted proxy's X-Forwarded-For names the client (read from the right, as nginx's
// real_ip_recursive and Express's `trust proxy` read it); from anyone else it changes nothing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveDashboard } from '../../../src/app/serve.js';
import { command as serveCommand } from '../../../src/cli/commands/serve.js';
import { loadConfigDefaults } from '../../../src/cli/config.js';
import { silentLogger } from '../../../src/core/ports.js';
import { runCliCaptured } from '../../support/cli.js';
import { send, startServe } from './support.js';

/** Statuses of `n` requests to /healthz, each with the X-Forwarded-For `xff(i)` (none when undefined). */
async function statuses(
  base: string,
  n: number,
  xff: (i: number) => string | undefined,
  localAddress?: string,
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const value = xff(i);
    const reply = await send(base, '/healthz', {
      ...(value === undefined ? {} : { headers: { 'X-Forwarded-For': value } }),
      ...(localAddress === undefined ? {} : { localAddress }),
    });
    out.push(reply.status);
  }
  return out;
}

const burst = Array<number>(12).fill(200);

/** A server beyond loopback at 60 requests a minute (bursts of 12) on a stopped clock. */
async function startLimited(
  trustedProxies?: string[],
  host = '0.0.0.0',
): Promise<{ base: string; close(): Promise<void> }> {
  const now = new Date();
  const started = await startServe('pglite', {
    host,
    serve: {
      allowRemote: true,
      rateLimitPerMinute: 60,
      clock: { now: () => now },
      ...(trustedProxies === undefined ? {} : { trustedProxies }),
    },
  });
  const url = new URL(started.server.url);
  url.hostname = '127.0.0.1';
  return { base: url.toString(), close: () => started.close() };
}

describe('without --trusted-proxy', () => {
  let server: Awaited<ReturnType<typeof startLimited>>;
  beforeAll(async () => (server = await startLimited()));
  afterAll(() => server.close());

  it('ignores X-Forwarded-For entirely: a spoofed header changes nothing', async () => {
    // every request names another client; all of them share the socket's bucket
    const spoofed = await statuses(server.base, 14, (i) => `203.0.113.${i + 1}`);
    expect(spoofed).toEqual([...burst, 429, 429]);
    expect(await statuses(server.base, 1, () => undefined)).toEqual([429]);
  });
});

describe('--trusted-proxy 127.0.0.1 (the proxy) on a server beyond loopback', () => {
  let server: Awaited<ReturnType<typeof startLimited>>;
  beforeAll(async () => (server = await startLimited(['127.0.0.1', '10.0.0.0/8'])));
  afterAll(() => server.close());

  it('gives each forwarded client its own bucket', async () => {
    expect(await statuses(server.base, 13, () => '203.0.113.1')).toEqual([...burst, 429]);
    // another client behind the same proxy is still served; so is the proxy's own request
    expect(await statuses(server.base, 12, () => '203.0.113.2')).toEqual(burst);
    expect(await statuses(server.base, 1, () => undefined)).toEqual([200]);
  });

  it('a client cannot leave its bucket by prepending values the proxy passes on', async () => {
    // nginx's $proxy_add_x_forwarded_for: what the client sent, then its address
    for (const spoof of [
      '198.51.100.9',
      '10.0.0.1',
      'unknown',
      '198.51.100.9, 10.0.0.7',
      'x'.repeat(4_000),
    ]) {
      expect(await statuses(server.base, 1, () => `${spoof}, 203.0.113.1`), spoof).toEqual([429]);
    }
    // a chain: a trusted proxy in front of the one that connects is skipped
    expect(await statuses(server.base, 1, () => '198.51.100.9, 203.0.113.1, 10.1.2.3')).toEqual([429]);
    // the same client in another spelling (IPv4-mapped IPv6, with a port) is the same client
    expect(await statuses(server.base, 1, () => '::ffff:203.0.113.1')).toEqual([429]);
    expect(await statuses(server.base, 1, () => '203.0.113.1:50123')).toEqual([429]);
  });

  it('an IPv6 client is keyed by its /64', async () => {
    expect(await statuses(server.base, 13, (i) => `[2001:db8:1:2::${i + 1}]:443`)).toEqual([...burst, 429]);
    expect(await statuses(server.base, 1, () => '2001:db8:1:3::1')).toEqual([200]);
  });

  it('from a peer that is not a trusted proxy, the header is ignored', async () => {
    // 127.0.0.2 is loopback too, but not the trusted 127.0.0.1
    const other = await statuses(server.base, 14, (i) => `198.51.100.${i + 1}`, '127.0.0.2');
    expect(other).toEqual([...burst, 429, 429]);
  });
});

describe('--trusted-proxy: malformed X-Forwarded-For', () => {
  let server: Awaited<ReturnType<typeof startLimited>>;
  beforeAll(async () => (server = await startLimited(['127.0.0.1'])));
  afterAll(() => server.close());

  it('never fails a request, and never gives a client a bucket of its choosing', async () => {
    const junk = [
      'unknown',
      '_hidden',
      'for=198.51.100.1',
      'example.com',
      '',
      ' , , ',
      '198.51.100.1,',
      '[2001:db8::1',
      'fe80::1%eth0',
      '198.51.100.1:99999',
      ','.repeat(5_000),
      `${'9'.repeat(12_000)}`,
    ];
    // each stops the walk at the proxy: all of them share the proxy's bucket
    const replies = await statuses(server.base, junk.length + 1, (i) => junk[i] ?? 'unknown');
    expect(replies).toEqual([...burst, 429]);
    // a header longer than node's 16 KiB header limit is 431, as before
    expect(
      (await send(server.base, '/healthz', { headers: { 'X-Forwarded-For': 'a'.repeat(20_000) } })).status,
    ).toBe(431);
    // and a well-formed client behind the proxy is unaffected
    expect(await statuses(server.base, 1, () => '203.0.113.50')).toEqual([200]);
  });
});

describe('--trusted-proxy on a dual-stack bind (IPv4-mapped peers) and over IPv6', () => {
  let server: Awaited<ReturnType<typeof startLimited>>;
  beforeAll(async () => (server = await startLimited(['127.0.0.1', '::1'], '::')));
  afterAll(() => server.close());

  it('trusts 127.0.0.1 when the socket says ::ffff:127.0.0.1, and ::1', async () => {
    expect(await statuses(server.base, 13, () => '203.0.113.1')).toEqual([...burst, 429]);
    const v6 = new URL(server.base);
    v6.hostname = '[::1]';
    expect(await statuses(v6.toString(), 1, () => '203.0.113.1')).toEqual([429]);
    expect(await statuses(v6.toString(), 1, () => '203.0.113.2')).toEqual([200]);
  });
});

describe('--trusted-proxy and the connection caps', () => {
  it("a trusted proxy's connections count toward the total only", async () => {
    const started = await startServe('pglite', {
      host: '0.0.0.0',
      serve: { allowRemote: true, maxConnectionsPerClient: 3, trustedProxies: ['127.0.0.1'] },
    });
    const url = new URL(started.server.url);
    const hold = (localAddress: string, n: number) =>
      Promise.all(
        Array.from(
          { length: n },
          () =>
            new Promise<ReturnType<typeof connect>>((resolve) => {
              const s = connect({ port: Number(url.port), host: '127.0.0.1', localAddress }, () =>
                resolve(s),
              );
            }),
        ),
      );
    const base = `http://127.0.0.1:${url.port}/`;
    const held = [...(await hold('127.0.0.1', 5)), ...(await hold('127.0.0.2', 3))];
    try {
      expect((await send(base, '/healthz')).status).toBe(200);
      await expect(send(base, '/healthz', { localAddress: '127.0.0.2' })).resolves.toMatchObject({
        status: 503,
      });
    } finally {
      for (const s of held) s.destroy();
      await started.close();
    }
  });
});

describe('--trusted-proxy on a loopback bind (a proxy on the same machine)', () => {
  it('turns the default rate limit on: the clients are remote', async () => {
    const now = new Date();
    const started = await startServe('pglite', {
      serve: { trustedProxies: ['127.0.0.1'], clock: { now: () => now } },
    });
    try {
      // 300 a minute: a burst of 60, per forwarded client
      const first = await statuses(started.server.url, 61, () => '203.0.113.1');
      expect(first.filter((s) => s === 429)).toEqual([429]);
      expect(await statuses(started.server.url, 1, () => '203.0.113.2')).toEqual([200]);
    } finally {
      await started.close();
    }
  });
});

describe('--trusted-proxy values', () => {
  it('a bad one is USAGE_INVALID_FLAG (exit 2), before the database is opened', async () => {
    for (const value of ['10.0.0.0/33', 'proxy.internal', '0.0.0.0/0', '10.0.0.1:80', '']) {
      await expect(
        serveDashboard({
          dataDir: join(tmpdir(), 'tp-no-such-db'),
          port: 0,
          trustedProxies: ['127.0.0.1', value],
          logger: silentLogger,
        }),
      ).rejects.toThrowCode('USAGE_INVALID_FLAG');
    }
    const run = await runCliCaptured([
      'serve',
      '--port',
      '0',
      '--json',
      '--data-dir',
      join(tmpdir(), 'tp-no-such-db'),
      '--trusted-proxy',
      '10.0.0.0/33',
    ]);
    expect(run.code).toBe(2);
    expect(run.json().error).toMatchObject({
      code: 'USAGE_INVALID_FLAG',
      details: { flag: 'trusted-proxy', value: '10.0.0.0/33' },
    });
  });

  it('is read from .slsa-ledger.yml as a list', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tp-serve-config-'));
    try {
      writeFileSync(join(dir, '.slsa-ledger.yml'), 'serve:\n  trusted-proxy: [127.0.0.1, 10.0.0.0/8]\n');
      const defaults = await loadConfigDefaults(dir, serveCommand.spec);
      expect(defaults['trusted-proxy']).toEqual(['127.0.0.1', '10.0.0.0/8']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
