// A local node:http server that speaks PostgREST's RPC contract as Supabase exposes it:
// `POST /rest/v1/rpc/<function>` with `apikey` and `Authorization: Bearer <jwt>` headers and a JSON
// object of named arguments. The JWT (HS256, signed with the project's secret) names the role; the
// call runs `SET LOCAL ROLE <role>` on the real database, in one transaction, as PostgREST does.
// Errors come back PostgREST-shaped: `{code, message, details, hint}` with PostgREST's statuses.
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';

export interface PostgrestRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
}

export interface PostgrestResponse {
  readonly status: number;
  readonly body: unknown;
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** An HS256 JWT with the given claims, as Supabase's service keys are. */
export function signJwt(claims: Record<string, unknown>, secret: string): string {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

function verifyJwt(token: string, secret: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const expected = createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2]!, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) return undefined;
    return claims;
  } catch {
    return undefined;
  }
}

const err = (
  status: number,
  code: string,
  message: string,
  hint: string | null = null,
  details: string | null = null,
): PostgrestResponse => ({
  status,
  body: { code, details, hint, message },
});

// PostgREST's mapping of SQLSTATEs to HTTP statuses (the subset a function call can raise).
function statusOf(sqlstate: string | undefined): number {
  if (sqlstate === undefined) return 500;
  if (sqlstate === '42501') return 403;
  if (sqlstate === '42883') return 404;
  if (sqlstate.startsWith('08') || sqlstate.startsWith('57P0') || sqlstate === '53300') return 503;
  if (sqlstate === '23505' || sqlstate === '23503') return 409;
  if (sqlstate.startsWith('22') || sqlstate.startsWith('23') || sqlstate === 'P0001') return 400;
  return 500;
}

export interface PostgrestHandlerOptions {
  /** the database the calls run on, as a superuser that can SET ROLE */
  readonly databaseUrl: string;
  /** the project's JWT secret */
  readonly jwtSecret: string;
  /** roles a JWT may name */
  readonly allowedRoles?: readonly string[];
}

/** The transport-agnostic handler; `startPostgrestServer` puts it on a real port. */
export function createPostgrestHandler(options: PostgrestHandlerOptions): {
  handle(request: PostgrestRequest): Promise<PostgrestResponse>;
  close(): Promise<void>;
  readonly calls: { fn: string; role: string }[];
} {
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 4 });
  pool.on('error', () => undefined);
  const allowed = new Set(
    options.allowedRoles ?? [
      'anon',
      'authenticated',
      'service_role',
      'slsa_manifest_ingest',
      'slsa_kpi_reader',
    ],
  );
  const calls: { fn: string; role: string }[] = [];
  return {
    calls,
    async handle(request) {
      const match = /^\/rest\/v1\/rpc\/([A-Za-z_][A-Za-z0-9_]*)$/.exec(request.path.split('?')[0] ?? '');
      if (match === null) return err(404, 'PGRST125', `Invalid path specified in request URL`);
      if (request.method !== 'POST')
        return err(405, 'PGRST117', `Unsupported HTTP method: ${request.method}`);
      const apikey = request.headers.apikey;
      if (apikey === undefined || apikey === '') {
        return err(
          401,
          'PGRST301',
          'No API key found in request',
          'No `apikey` request header or url param was found.',
        );
      }
      const auth = request.headers.authorization ?? '';
      const bearer = /^Bearer (.+)$/i.exec(auth)?.[1];
      if (bearer === undefined) return err(401, 'PGRST302', 'Anonymous access is disabled');
      const claims = verifyJwt(bearer, options.jwtSecret);
      if (claims === undefined || verifyJwt(apikey, options.jwtSecret) === undefined) {
        return err(401, 'PGRST301', 'JWSError JWSInvalidSignature');
      }
      const role = claims.role;
      if (typeof role !== 'string' || !allowed.has(role))
        return err(401, 'PGRST301', `role "${String(role)}" is not allowed`);
      if (!(request.headers['content-type'] ?? '').startsWith('application/json')) {
        return err(
          415,
          'PGRST107',
          'None of these media types are available: ' + (request.headers['content-type'] ?? ''),
        );
      }
      let args: unknown;
      try {
        args = JSON.parse(request.body === '' ? '{}' : request.body);
      } catch {
        return err(400, 'PGRST102', 'Empty or invalid json');
      }
      if (args === null || typeof args !== 'object' || Array.isArray(args))
        return err(400, 'PGRST102', 'Empty or invalid json');
      const fn = match[1]!;
      const names = Object.keys(args);
      if (names.some((n) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)))
        return err(400, 'PGRST102', 'Empty or invalid json');
      const client = await pool.connect().catch((e: Error) => e);
      if (client instanceof Error) return err(503, 'PGRST000', `Database client error: ${client.message}`);
      let broken = false;
      try {
        const exists = await client.query(
          `SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' AND p.proname = $1`,
          [fn],
        );
        if (exists.rowCount === 0) {
          return err(
            404,
            'PGRST202',
            `Could not find the function public.${fn}(${names.join(', ')}) in the schema cache`,
          );
        }
        calls.push({ fn, role });
        await client.query('BEGIN');
        await client.query(`SET LOCAL ROLE ${client.escapeIdentifier(role)}`);
        const values = names.map((n) => JSON.stringify((args as Record<string, unknown>)[n]));
        const call = `SELECT public.${client.escapeIdentifier(fn)}(${names.map((n, i) => `${client.escapeIdentifier(n)} := $${i + 1}`).join(', ')}) AS result`;
        const result = await client.query(call, values);
        await client.query('COMMIT');
        return { status: 200, body: result.rows[0]?.result ?? null };
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        const e = error as { code?: string; message?: string; detail?: string; hint?: string };
        return err(
          statusOf(e.code),
          e.code ?? 'PGRST000',
          e.message ?? String(error),
          e.hint ?? null,
          e.detail ?? null,
        );
      } finally {
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}

export interface PostgrestServer {
  /** the project URL to pass as --supabase-url (the API is under /rest/v1) */
  readonly url: string;
  readonly calls: { fn: string; role: string }[];
  close(): Promise<void>;
}

/** The handler on a real node:http server at 127.0.0.1:0. */
export async function startPostgrestServer(options: PostgrestHandlerOptions): Promise<PostgrestServer> {
  const handler = createPostgrestHandler(options);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      void handler
        .handle({
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          headers,
          body: Buffer.concat(chunks).toString('utf8'),
        })
        .then((response) => {
          res.writeHead(response.status, { 'content-type': 'application/json; charset=utf-8' });
          res.end(JSON.stringify(response.body));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls: handler.calls,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await handler.close();
    },
  };
}
