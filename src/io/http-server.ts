import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { SlsaLedgerError } from '../errors.js';

// A small node:http adapter: it turns requests into plain values for a handler, sets the security
// headers on every response, never leaks an exception's text, and closes gracefully.

export interface HttpRequest {
  readonly method: string;
  /** the raw path, still percent-encoded, without the query */
  readonly path: string;
  /** query parameters in order, decoded */
  readonly query: readonly (readonly [string, string])[];
  readonly headers: Readonly<Record<string, string | undefined>>;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: string | Uint8Array;
}

export type HttpHandler = (request: HttpRequest) => Promise<HttpResponse>;

/** Sent with every response, the page's and the API's alike. */
export const securityHeaders: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), interest-cohort=()',
};

export interface StartHttpServerOptions {
  readonly host: string;
  /** 0 picks a free port */
  readonly port: number;
  readonly handler: HttpHandler;
  /** called with unexpected handler failures (the client gets a bare 500) */
  readonly onError?: (error: unknown) => void;
}

export interface RunningHttpServer {
  /** e.g. http://127.0.0.1:8080/ */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** stops accepting, lets in-flight requests finish (at most `graceMs`), then closes every socket */
  close(graceMs?: number): Promise<void>;
}

function toRequest(req: IncomingMessage): HttpRequest {
  const target = req.url ?? '/';
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  let query: [string, string][] = [];
  if (q !== -1) query = [...new URLSearchParams(target.slice(q + 1))];
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  return { method: req.method ?? 'GET', path, query, headers };
}

function send(res: ServerResponse, method: string, response: HttpResponse): void {
  const body = typeof response.body === 'string' ? Buffer.from(response.body, 'utf8') : response.body;
  res.writeHead(response.status, {
    ...securityHeaders,
    ...response.headers,
    'Content-Length': String(body.byteLength),
  });
  res.end(method === 'HEAD' ? undefined : body);
}

const internalError: HttpResponse = {
  status: 500,
  headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
  body: `${JSON.stringify({ error: { code: 'INTERNAL', message: 'internal error' } })}\n`,
};

/**
 * What node:http says itself to a request it cannot read (bad syntax, headers over 16 KiB, too slow),
 * with the security headers and a coded JSON body like every other answer: its own answer is a
 * bare status line without them.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || inFlight?.headersSent === true) {
    socket.destroy();
    return;
  }
  const [status, reason, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'the request headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'the request took too long to arrive']
        : [400, 'Bad Request', 'the request is not valid HTTP/1.1'];
  const body = `${JSON.stringify({ error: { code: 'DASHBOARD_REQUEST_MALFORMED', message } })}\n`;
  const headers = {
    ...securityHeaders,
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
  };
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('')}\r\n${body}`,
    () => socket.destroy(),
  );
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Starts a node:http server on host:port; resolves once it listens. */
export async function startHttpServer(options: StartHttpServerOptions): Promise<RunningHttpServer> {
  const server: Server = createServer((req, res) => {
    let request: HttpRequest;
    try {
      request = toRequest(req);
    } catch (error) {
      options.onError?.(error);
      send(res, 'GET', internalError);
      return;
    }
    // The API is read-only: a request body is never read, so drain it rather than buffer it.
    req.resume();
    options.handler(request).then(
      (response) => send(res, request.method, response),
      (error: unknown) => {
        options.onError?.(error);
        if (!res.headersSent) send(res, request.method, internalError);
        else res.destroy();
      },
    );
  });
  server.on('clientError', answerClientError);
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        new SlsaLedgerError(
          'DASHBOARD_LISTEN_FAILED',
          `cannot listen on ${formatHost(options.host)}:${options.port}: ${error.code ?? error.message}`,
          { cause: error, details: { host: options.host, port: options.port, reason: error.code } },
        ),
      );
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${formatHost(address.address)}:${address.port}/`,
    host: address.address,
    port: address.port,
    close(graceMs = 5_000) {
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        // keep-alive sockets with no request in flight would otherwise hold close() open
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
