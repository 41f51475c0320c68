import {
  createServer,
  STATUS_CODES,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { clientKeyOf } from '../core/dashboard/rate-limit.js';
import { SlsaLedgerError } from '../errors.js';
import { clientAddressOf, type TrustedProxies } from './trusted-proxies.js';

// A small node:http adapter: it turns requests into plain values for a handler, sets the security
// headers on every response, never leaks an exception's text, and closes gracefully.

export interface HttpRequest {
  readonly method: string;
  /** the raw path, still percent-encoded, without the query */
  readonly path: string;
  /** query parameters in order, decoded */
  readonly query: readonly (readonly [string, string])[];
  readonly headers: Readonly<Record<string, string | undefined>>;
  /**
   * the client's address: the socket's peer, or, when the peer is a `--trusted-proxy`, the address
   * that proxy forwarded (`X-Forwarded-For`, read from the right); never a header from anyone else
   */
  readonly client: string;
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
  /** connections held at once (default 256); more are answered 503 and closed */
  readonly maxConnections?: number;
  /** connections held at once from one client address (IPv6: one /64; default 32) */
  readonly maxConnectionsPerClient?: number;
  /** time for a request's headers to arrive (default 10 s) and for the whole request (30 s) */
  readonly headersTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** a connection without traffic this long is closed, a request in flight too (default 60 s) */
  readonly idleTimeoutMs?: number;
  /**
   * peers whose `X-Forwarded-For` names the client (`--trusted-proxy`); their connections count
   * toward `maxConnections` only, as each carries many clients' requests
   */
  readonly trustedProxies?: TrustedProxies;
  /** after refusing a body: how long what the client still sends is read and dropped (default 2 s) */
  readonly lingerMs?: number;
}

export interface RunningHttpServer {
  /** e.g. http://127.0.0.1:8080/ */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** stops accepting, lets in-flight requests finish (at most `graceMs`), then closes every socket */
  close(graceMs?: number): Promise<void>;
}

function toRequest(req: IncomingMessage, trustedProxies: TrustedProxies | undefined): HttpRequest {
  const target = req.url ?? '/';
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  let query: [string, string][] = [];
  if (q !== -1) query = [...new URLSearchParams(target.slice(q + 1))];
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  // node keeps the first of two Host headers; a request with more than one names no host (RFC 9112
  // §3.2: answered 400), so none is passed on and the handler's Host check refuses it
  let hosts = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.toLowerCase() === 'host') hosts++;
  if (hosts > 1) headers.host = '';
  const client = clientAddressOf(req.socket.remoteAddress ?? '', headers['x-forwarded-for'], trustedProxies);
  return { method: req.method ?? 'GET', path, query, headers, client };
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

/** A coded JSON error, the one shape of every error this adapter answers itself. */
function codedError(status: number, code: string, message: string): HttpResponse {
  return {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
    body: `${JSON.stringify({ error: { code, message } })}\n`,
  };
}

const internalError = codedError(500, 'INTERNAL', 'internal error');

const bodyRefused = codedError(
  413,
  'DASHBOARD_BODY_REFUSED',
  'the API is read-only: a request must not have a body',
);

/** `response` as the bytes of an HTTP/1.1 answer that closes its connection (no body to HEAD). */
function rawAnswer(response: HttpResponse, method = 'GET'): Buffer {
  const body = typeof response.body === 'string' ? Buffer.from(response.body, 'utf8') : response.body;
  const headers = {
    ...securityHeaders,
    ...response.headers,
    'Content-Length': String(body.byteLength),
    Connection: 'close',
  };
  const head = `HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ''}\r\n${Object.entries(
    headers,
  )
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), method === 'HEAD' ? Buffer.alloc(0) : body]);
}

/** A coded answer written straight to the socket, which is closed as soon as it is out. */
function answerRaw(socket: Duplex, response: HttpResponse): void {
  socket.end(rawAnswer(response), () => socket.destroy());
}

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
  const [status, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'the request headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'the request took too long to arrive']
        : [400, 'the request is not valid HTTP/1.1'];
  answerRaw(socket, codedError(status, 'DASHBOARD_REQUEST_MALFORMED', message));
}

/** True when a request announces a body (a length other than 0, or any transfer coding). */
function announcesBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length.trim() !== '0');
}

/**
 * Refuses a request that announces a body: 413, then the connection is closed in stages (RFC 9112
 * §9.6): our side at once (FIN after the answer), while what the client still sends is read and
 * dropped for `lingerMs` at most, then the socket is destroyed. Closing both sides at once (node's
 * own close after `Connection: close`) reset the connection while the body was still arriving, and
 * the reset erased the 413 before a client that sends its body first could read it; reading on
 * without a bound let one request hold a connection for as long as its body lasted.
 */
function refuseBody(req: IncomingMessage, lingerMs: number): void {
  const socket = req.socket;
  socket.end(rawAnswer(bodyRefused, req.method));
  req.resume(); // drop the body as it arrives, never buffer it
  setTimeout(() => socket.destroy(), lingerMs).unref();
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Starts a node:http server on host:port; resolves once it listens. */
export async function startHttpServer(options: StartHttpServerOptions): Promise<RunningHttpServer> {
  // timeouts are checked every second (node's default, 30 s, let a slow-loris request's headers
  // take 40 s instead of 10)
  // sockets answered and being closed (past a connection cap, or a body refused): never handed
  // another request
  const refused = new WeakSet<Socket>();
  const lingerMs = options.lingerMs ?? 2_000;
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (refused.has(req.socket)) {
      res.destroy();
      return;
    }
    if (announcesBody(req)) {
      // On the next turn, so that a body node:http cannot parse (arrived with the headers) is
      // answered as such (400) rather than as a body
      refused.add(req.socket);
      setImmediate(() => {
        if (req.socket.writable) refuseBody(req, lingerMs);
      });
      return;
    }
    // no body (none announced): nothing to read; node:http itself pulls whatever a request left
    // unread off the wire once its answer is sent
    let request: HttpRequest;
    try {
      request = toRequest(req, options.trustedProxies);
    } catch (error) {
      options.onError?.(error);
      send(res, 'GET', internalError);
      return;
    }
    options.handler(request).then(
      (response) => send(res, request.method, response),
      (error: unknown) => {
        options.onError?.(error);
        if (!res.headersSent) send(res, request.method, internalError);
        else res.destroy();
      },
    );
  };
  // maxHeaderSize explicit: NODE_OPTIONS=--max-http-header-size must not widen what a client may send
  const server: Server = createServer(
    { connectionsCheckingInterval: 1_000, maxHeaderSize: 16 * 1024 },
    onRequest,
  );
  // `Expect: 100-continue` (curl's way with a body over 1 MiB): answered by the request itself, so
  // a body is refused before it is sent; node:http's default said 100 Continue, inviting it
  server.on('checkContinue', onRequest);
  server.on('clientError', answerClientError);
  server.headersTimeout = options.headersTimeoutMs ?? 10_000;
  server.requestTimeout = options.requestTimeoutMs ?? 30_000;
  server.keepAliveTimeout = 5_000;
  // a socket with no traffic for a minute (a client that stopped reading its answer) is closed
  server.timeout = options.idleTimeoutMs ?? 60_000;
  // connection caps: in all, and per client address (an IPv6 client's /64)
  const maxConnections = options.maxConnections ?? 256;
  const perClient = options.maxConnectionsPerClient ?? 32;
  const open = new Map<string, number>();
  let total = 0;
  server.on('connection', (socket: Socket) => {
    // a trusted proxy's connections carry many clients' requests: only the total applies to them
    const key =
      options.trustedProxies?.isTrusted(socket.remoteAddress ?? '') === true
        ? undefined
        : clientKeyOf(socket.remoteAddress ?? '');
    const mine = key === undefined ? 0 : (open.get(key) ?? 0);
    if (total >= maxConnections || mine >= perClient) {
      refused.add(socket);
      socket.on('error', () => undefined);
      answerRaw(
        socket,
        codedError(
          503,
          'DASHBOARD_TOO_MANY_CONNECTIONS',
          total >= maxConnections
            ? 'the server holds as many connections as it takes: retry later'
            : 'too many connections from this address: close some, then retry',
        ),
      );
      return;
    }
    total += 1;
    if (key !== undefined) open.set(key, mine + 1);
    socket.once('close', () => {
      total -= 1;
      if (key === undefined) return;
      const left = (open.get(key) ?? 1) - 1;
      if (left <= 0) open.delete(key);
      else open.set(key, left);
    });
  });
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
