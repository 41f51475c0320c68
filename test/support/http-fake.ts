import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';

// Transport-agnostic fakes: a fake is a plain `(request) => response` handler that enforces a
// documented contract and records what it received; `mountFake` puts one on a real node:http
// server on 127.0.0.1:0 that is closed when the test finishes.

export interface FakeRequest {
  readonly method: string;
  /** path and query, as received */
  readonly url: string;
  readonly path: string;
  readonly query: URLSearchParams;
  /** lower-cased header names */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
}

export interface FakeResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** a string is sent as-is; anything else as JSON */
  readonly body?: unknown;
}

export type FakeHandler = (request: FakeRequest) => FakeResponse | Promise<FakeResponse>;

export interface MountedFake {
  readonly url: string;
  readonly origin: string;
  close(): Promise<void>;
}

function flatHeaders(headers: IncomingHttpHeaders): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** Serves `handler` on 127.0.0.1:0 until the current test finishes. */
export async function mountFake(handler: FakeHandler): Promise<MountedFake> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const request: FakeRequest = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        path: url.pathname,
        query: url.searchParams,
        headers: flatHeaders(req.headers),
        body: Buffer.concat(chunks).toString('utf8'),
      };
      Promise.resolve()
        .then(() => handler(request))
        .then(
          (response) => {
            const isText = typeof response.body === 'string' || response.body instanceof Uint8Array;
            const body =
              response.body === undefined ? '' : isText ? response.body : JSON.stringify(response.body);
            res.writeHead(response.status, {
              ...(response.body !== undefined && !isText
                ? { 'content-type': 'application/json; charset=utf-8' }
                : {}),
              ...response.headers,
            });
            res.end(body);
          },
          (error: unknown) => {
            res.writeHead(599, { 'content-type': 'text/plain' });
            res.end(`fake handler threw: ${String(error)}`);
          },
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  onTestFinished(close);
  return { url: origin, origin, close };
}

/** Reads a JSON body or fails the contract with a 400. */
export function jsonBody(request: FakeRequest): unknown {
  try {
    return JSON.parse(request.body) as unknown;
  } catch {
    return undefined;
  }
}

/** Asserts that none of `secrets` occurs in any of `texts`; returns the offending text if one does. */
export function findSecret(texts: readonly string[], secrets: readonly string[]): string | undefined {
  for (const t of texts)
    for (const s of secrets) if (t.includes(s)) return `${s.slice(0, 4)}… in ${t.slice(0, 200)}`;
  return undefined;
}
