// Loading Sigstore trust material: a trusted_root.json file, or the TUF cache offline; never a fetch
// with --offline.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSigstoreTrust } from '../../../src/io/trust.js';

const TRUSTED_ROOT = resolve(import.meta.dirname, '../../fixtures/vectors/sigstore/trusted_root.json');
const dir = mkdtempSync(join(tmpdir(), 'slsa-ledger-trust-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadSigstoreTrust', () => {
  it('reads --trusted-root as is', async () => {
    const trust = await loadSigstoreTrust({ trustedRootPath: TRUSTED_ROOT, offline: true });
    expect((trust.trustedRoot as { mediaType: string }).mediaType).toMatch(
      /^application\/vnd\.dev\.sigstore\.trustedroot/,
    );
  });

  it('offline, reads the cached tuf target of an earlier online run', async () => {
    const cache = join(dir, 'cache');
    const targets = join(cache, encodeURIComponent('tuf-repo-cdn.sigstore.dev'), 'targets');
    mkdirSync(targets, { recursive: true });
    copyFileSync(TRUSTED_ROOT, join(targets, 'trusted_root.json'));
    await expect(
      loadSigstoreTrust({ offline: true, env: { XDG_CACHE_HOME: dir }, cacheDir: cache }),
    ).resolves.toHaveProperty('trustedRoot');
  });

  it('offline, finds the default cache under XDG_CACHE_HOME', async () => {
    const xdg = join(dir, 'xdg');
    const targets = join(
      xdg,
      'slsa-ledger',
      'sigstore-tuf',
      encodeURIComponent('tuf-repo-cdn.sigstore.dev'),
      'targets',
    );
    mkdirSync(targets, { recursive: true });
    copyFileSync(TRUSTED_ROOT, join(targets, 'trusted_root.json'));
    await expect(loadSigstoreTrust({ offline: true, env: { XDG_CACHE_HOME: xdg } })).resolves.toHaveProperty(
      'trustedRoot',
    );
  });

  it.each([
    ['no cache at all', { offline: true, env: { HOME: join(dir, 'empty-home') } }],
    ['no HOME to find a cache in', { offline: true, env: {} }],
  ] as const)('offline with %s -> TRUST_ROOT_UNAVAILABLE', async (_name, options) => {
    await expect(loadSigstoreTrust(options)).rejects.toThrowCode('TRUST_ROOT_UNAVAILABLE');
  });

  it('online without a cache directory -> TRUST_ROOT_UNAVAILABLE before any fetch', async () => {
    await expect(loadSigstoreTrust({ env: {} })).rejects.toThrowCode('TRUST_ROOT_UNAVAILABLE');
  });
});
