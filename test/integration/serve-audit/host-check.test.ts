// The DNS-rebinding check (a loopback server answers only Host names of loopback) must hold for
// every --host that serve takes as loopback without --allow-remote.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send, startServe } from './support.js';

describe('serve --host LOCALHOST', () => {
  let base = '';
  let close: () => Promise<void> = () => Promise.resolve();

  beforeAll(async () => {
    // loopback in any case: no --allow-remote is asked for
    const started = await startServe('pglite', { host: 'LOCALHOST' });
    base = started.server.url;
    close = () => started.close();
  });
  afterAll(() => close());

  // before: the Host check compared the bound name case-sensitively, took LOCALHOST for a remote
  // address and let every Host through, so a rebinding page read the API
  it('refuses a Host that is not a loopback name (421), answers loopback ones', async () => {
    const rebound = await send(base, '/api/runs', { host: 'attacker.example' });
    expect(rebound.status).toBe(421);
    expect(rebound.json.error.code).toBe('DASHBOARD_HOST_REFUSED');
    const port = new URL(base).port;
    expect((await send(base, '/healthz', { host: `localhost:${port}` })).status).toBe(200);
    expect((await send(base, '/healthz', { host: `LocalHost:${port}` })).status).toBe(200);
  });

  // node keeps the first of two Host headers: a loopback one first let the request through
  it('a request with two Host headers names no host: refused, whatever their order', async () => {
    const { hostname, port } = new URL(base);
    const raw = (hosts: string[]) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), hostname);
        let answer = '';
        socket.on('data', (b: Buffer) => (answer += b.toString('latin1')));
        socket.on('end', () => resolve(answer));
        socket.on('error', reject);
        socket.write(
          `GET /healthz HTTP/1.1\r\n${hosts.map((h) => `Host: ${h}\r\n`).join('')}Connection: close\r\n\r\n`,
        );
      });
    expect(await raw([`localhost:${port}`])).toMatch(/^HTTP\/1\.1 200 /);
    for (const hosts of [
      [`localhost:${port}`, 'attacker.example'],
      ['attacker.example', `localhost:${port}`],
      [`localhost:${port}`, `localhost:${port}`],
    ]) {
      const answer = await raw(hosts);
      expect(answer).toMatch(/^HTTP\/1\.1 421 /);
      expect(answer).toContain('DASHBOARD_HOST_REFUSED');
    }
  });
});
