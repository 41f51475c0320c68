// The GitHub Actions OIDC token request against a real node:http server that enforces the
// documented contract: GET <ACTIONS_ID_TOKEN_REQUEST_URL>&audience=sigstore with the bearer token.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchIdentityToken } from '../../../src/io/oidc.js';
import { redactText, withSecrets } from '../../../src/io/redaction.js';
import { runCliCaptured } from '../../support/cli.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REQUEST_TOKEN = 'ghs_request_token_value';
let server: Server;
let base: string;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    seen.push(`${req.method} ${url.pathname}?${url.searchParams.toString()}`);
    if (url.pathname === '/broken') return void res.writeHead(200).end('not json');
    if (url.pathname === '/endless') {
      // an answer without end (no content-length): the read stops at the api-answer limit
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"value":"');
      const chunk = 'a'.repeat(1024 * 1024);
      let sent = 0;
      const more = (): void => {
        while (sent < 40 && res.write(chunk)) sent += 1;
        if (sent < 40) res.once('drain', () => (sent += 1) && more());
        else res.end('"}');
      };
      res.on('error', () => undefined);
      return void more();
    }
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
    ['an answer past the api-answer limit (32 MiB)', actionsEnv('/endless')],
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

// The token fetched from GitHub is a bearer credential for Fulcio while it lives (minutes), and it
// is not one of the job's secrets, so the runner does not mask it by itself: @actions/core's
// getIDToken calls setSecret on it (https://github.com/actions/toolkit/blob/main/packages/core/src/oidc-utils.ts,
// "Workflow commands: masking a value", https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#masking-a-value-in-a-log).
// Before, a fetched token was neither redacted from what the tool wrote nor masked.
describe('a fetched identity token is a secret from then on', () => {
  it('is added to the run`s secrets and reported to the caller once', async () => {
    const secrets: string[] = ['ghs_request_token_value'];
    const learnt: string[] = [];
    const text = await withSecrets(
      secrets,
      async () => {
        const token = await fetchIdentityToken(actionsEnv());
        await fetchIdentityToken(actionsEnv());
        return redactText(`fulcio said: ${token} is bad`);
      },
      (value) => learnt.push(value),
    );
    expect(text).toBe('fulcio said: *** is bad');
    expect(secrets).toContain('eyJ.id.token');
    expect(learnt).toEqual(['eyJ.id.token']);
  });

  it('SIGSTORE_ID_TOKEN is a secret of the environment already: not learnt again', async () => {
    const learnt: string[] = [];
    await withSecrets(
      [],
      () => fetchIdentityToken({ SIGSTORE_ID_TOKEN: 'explicit-token' }),
      (v) => learnt.push(v),
    );
    expect(learnt).toEqual([]);
  });

  it.each([
    ['in github actions: masked with add-mask, never printed otherwise', 'true', true],
    ['elsewhere: no workflow command', undefined, false],
  ] as const)('the CLI %s', async (_name, githubActions, masked) => {
    const dir = mkdtempSync(join(tmpdir(), 'oidc-mask-'));
    writeFileSync(join(dir, 'app.bin'), 'artifact');
    const run = await runCliCaptured(
      [
        'attest',
        'app.bin',
        '--sigstore',
        '--fulcio-url',
        'http://127.0.0.1:1',
        '--rekor-url',
        'http://127.0.0.1:1',
        '--repository',
        'https://github.com/acme/app',
        '--ref',
        'refs/tags/v1.0.0',
        '--sha',
        'a'.repeat(40),
        '--workflow-path',
        '.github/workflows/release.yml',
        '--run-id',
        '42',
        '--event-name',
        'push',
      ],
      {
        cwd: dir,
        env: { ...actionsEnv(), ...(githubActions === undefined ? {} : { GITHUB_ACTIONS: githubActions }) },
      },
    );
    expect(run.code).not.toBe(0);
    const errText = run.stderr;
    const outText = run.stdout;
    expect(errText.includes('::add-mask::eyJ.id.token\n')).toBe(masked);
    // the token itself appears nowhere but in the mask command
    expect(errText.replace('::add-mask::eyJ.id.token\n', '')).not.toContain('eyJ.id.token');
    expect(outText).not.toContain('eyJ.id.token');
  });
});
