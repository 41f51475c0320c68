// Requests node:http cannot read itself (bad syntax, oversized headers) were answered by node's bare
// status line, without the security headers every other answer carries and without a coded body.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send, sendRaw, startServe } from './support.js';

function parse(raw: string): { status: number; headers: Map<string, string>; body: string } {
  const [head = '', body = ''] = raw.split('\r\n\r\n', 2);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = new Map(
    lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

describe('requests node:http cannot read', () => {
  let base = '';
  let close: () => Promise<void> = () => Promise.resolve();

  beforeAll(async () => {
    const started = await startServe('pglite');
    base = started.server.url;
    close = () => started.close();
  });
  afterAll(() => close());

  it.each([
    [
      'bad chunked body',
      'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      400,
    ],
    ['a request line that is not HTTP', 'HELLO\r\n\r\n', 400],
    ['a header without a colon', 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nno colon here\r\n\r\n', 400],
    ['headers over 16 KiB', `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
  ] as const)('%s: its status, the security headers and a code', async (_what, bytes, status) => {
    const reply = parse(await sendRaw(base, bytes));
    expect(reply.status).toBe(status);
    expect(reply.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
    expect(reply.headers.get('x-frame-options')).toBe('DENY');
    expect(reply.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(JSON.parse(reply.body)).toMatchObject({ error: { code: 'DASHBOARD_REQUEST_MALFORMED' } });
  });

  it('keeps serving after them', async () => {
    expect((await send(base, '/healthz')).status).toBe(200);
  });
});
