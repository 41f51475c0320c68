// The GitHub Actions OIDC token request against a real node:http server that enforces the
// documented contract: GET <ACTIONS_ID_TOKEN_REQUEST_URL>&audience=sigstore with the bearer token.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchIdentityToken } from '../../../src/io/oidc.js';

const REQUEST_TOKEN = 'ghs_request_token_value';
let server: Server;
let base: string;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    seen.push(`${req.method} ${url.pathname}?${url.searchParams.toString()}`);
    if (url.pathname === '/broken') return void res.writeHead(200).end('not json');
    if (req.method !== 'GET' || req.headers.authorization !== `bearer ${REQUEST_TOKEN}`) {
      return void res.writeHead(401).end('{"message":"bad credentials"}');
    }
    if (url.searchParams.get('audience') !== 'sigstore' || url.searchParams.get('api-version') !== '2.0') {
      return void res.writeHead(400).end('{"message":"bad audience"}');
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"count":1,"value":"eyJ.id.token"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const actionsEnv = (path = '/token', token = REQUEST_TOKEN) => ({
  ACTIONS_ID_TOKEN_REQUEST_URL: `${base}${path}?api-version=2.0`,
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: token,
});

describe('fetchIdentityToken', () => {
  it('prefers SIGSTORE_ID_TOKEN', async () => {
    await expect(fetchIdentityToken({ SIGSTORE_ID_TOKEN: 'explicit', ...actionsEnv() })).resolves.toBe(
      'explicit',
    );
  });

  it("requests github's oidc endpoint with audience sigstore and the bearer token", async () => {
    await expect(fetchIdentityToken(actionsEnv())).resolves.toBe('eyJ.id.token');
    expect(seen.at(-1)).toBe('GET /token?api-version=2.0&audience=sigstore');
  });

  it.each([
    ['no token source at all', {}],
    ['a refused request token', actionsEnv('/token', 'wrong')],
    ['an answer that is not json', actionsEnv('/broken')],
    [
      'an unreachable endpoint',
      {
        ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:1/token',
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN,
      },
    ],
    [
      'a request url that is not a url',
      { ACTIONS_ID_TOKEN_REQUEST_URL: 'nope', ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN },
    ],
  ] as const)('%s -> OIDC_TOKEN_UNAVAILABLE, without the request token in the error', async (_name, env) => {
    const error = await fetchIdentityToken(env).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'OIDC_TOKEN_UNAVAILABLE' });
    expect(JSON.stringify({ m: (error as Error).message, c: String((error as Error).cause) })).not.toContain(
      REQUEST_TOKEN,
    );
  });
});
