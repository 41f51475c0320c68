// verifyBundlesInParallel (src/io/verify-pool.ts, the batch-speed path of issue 16 and of the
// sigstore bench) gives, bundle by bundle, the verdict of the in-process Sigstore layer
// (verifyBundleSignature) on real bundles: sigstore-conformance's bundle-verify cases that use public
// good's root (passes and `_fail` cases; message signatures fail here, as no artifact is given),
// npm's, cli/cli's and slsa-verifier's container-based bundles, and a GitHub-instance bundle
// that public good's root must refuse; in input order, across threads and chunks. The pool loads its
// worker from dist/ (npm run build first).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJson } from '../../../src/core/input/strict-json.js';
import { verifyBundleSignature } from '../../../src/core/verify/signature-sigstore.js';
import { isSlsaLedgerError } from '../../../src/errors.js';
import type { verifyBundlesInParallel as VerifyBundlesInParallel } from '../../../src/io/verify-pool.js';

/** The compiled pool: its worker threads load dist/io/verify-pool-worker.js. */
async function loadPool(): Promise<typeof VerifyBundlesInParallel> {
  const m = (await import(join(import.meta.dirname, '../../../dist/io/verify-pool.js'))) as {
    verifyBundlesInParallel: typeof VerifyBundlesInParallel;
  };
  return m.verifyBundlesInParallel;
}

const VECTORS = join(import.meta.dirname, '../../fixtures/vectors');
const CASES = join(VECTORS, 'sigstore-conformance/bundle-verify');
const PUBLIC_GOOD = JSON.parse(readFileSync(join(VECTORS, 'sigstore/trusted_root.json'), 'utf8')) as unknown;

function bundles(): { name: string; text: string }[] {
  const conformance = readdirSync(CASES, { withFileTypes: true })
    .filter(
      (d) =>
        d.isDirectory() &&
        existsSync(join(CASES, d.name, 'bundle.sigstore.json')) &&
        !existsSync(join(CASES, d.name, 'trusted_root.json')) &&
        !existsSync(join(CASES, d.name, 'key.pub')),
    )
    .map((d) => ({ name: d.name, text: readFileSync(join(CASES, d.name, 'bundle.sigstore.json'), 'utf8') }));
  const others = [
    'other-tools/npm/sigstore-js-2.1.0-bundle.json',
    'other-tools/gh/reusable-workflow-attestation.sigstore.json',
    'other-tools/gh/custom-issuer.sigstore.json',
    ...['push-v14', 'push-v14.2', 'push-v13.0.30', 'workflow_dispatch'].map(
      (n) => `other-tools/container-based/binary-linux-amd64-${n}.intoto.build.slsa`,
    ),
    'other-tools/github-instance/actions-attest-build-provenance-attestation-13531551.sigstore.json',
  ].map((p) => ({ name: p, text: readFileSync(join(VECTORS, p), 'utf8') }));
  return [...conformance, ...others];
}

function inProcess(text: string): { ok: boolean; code?: string } {
  try {
    verifyBundleSignature(parseJson(text, 'signed', 'sigstore bundle'), { trustedRoots: [PUBLIC_GOOD] });
    return { ok: true };
  } catch (error) {
    return { ok: false, code: isSlsaLedgerError(error) ? error.code : 'INTERNAL' };
  }
}

describe('verifyBundlesInParallel', () => {
  it('gives the in-process verdict for every bundle, in input order, over two threads and small chunks', async () => {
    const verifyBundlesInParallel = await loadPool();
    const all = bundles();
    const expected = all.map((b) => inProcess(b.text));
    // the set has both kinds, or the comparison proves little
    expect(expected.filter((v) => v.ok).length).toBeGreaterThan(5);
    expect(expected.filter((v) => !v.ok).length).toBeGreaterThan(10);
    expect(expected.every((v) => v.code !== 'INTERNAL')).toBe(true);
    const got = await verifyBundlesInParallel(
      all.map((b) => b.text),
      [PUBLIC_GOOD],
      { threads: 2, chunk: 3 },
    );
    expect(got.map((v, i) => ({ name: all[i]?.name, ...v }))).toEqual(
      expected.map((v, i) => ({ name: all[i]?.name, ...v })),
    );
    // GitHub's instance is not public good: its bundle is refused under this root
    expect(got.at(-1)).toMatchObject({ ok: false });
  });

  it('an empty batch is an empty answer', async () => {
    const verifyBundlesInParallel = await loadPool();
    expect(await verifyBundlesInParallel([], [PUBLIC_GOOD])).toEqual([]);
  });
});
