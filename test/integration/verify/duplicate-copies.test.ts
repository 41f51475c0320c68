// Many copies of one certificate-signed bundle (a hostile or careless document: the helper of the
// thirty-fifth session timed 8,000 copies in 31 MB at ~22 s) are verified once; each copy's verdict
// still names its own document.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type * as SignatureSigstore from '../../../src/core/verify/signature-sigstore.js';

const calls = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../../src/core/verify/signature-sigstore.js', async (importOriginal) => {
  const original = await importOriginal<typeof SignatureSigstore>();
  return {
    ...original,
    verifyCertificateSigned: (...args: Parameters<typeof original.verifyCertificateSigned>) => {
      calls.count += 1;
      return original.verifyCertificateSigned(...args);
    },
  };
});
const { verifyArtifacts } = await import('../../../src/app/verify.js');

const DIR = join(import.meta.dirname, '../../fixtures/vectors/other-tools');
const TRUSTED_ROOT = join(import.meta.dirname, '../../fixtures/vectors/sigstore/trusted_root.json');
const bundle = JSON.parse(readFileSync(join(DIR, 'npm/sigstore-js-2.1.0-bundle.json'), 'utf8')) as {
  dsseEnvelope: { signatures: { sig: string }[] };
};
const policy = {
  sourceUri: 'github.com/sigstore/sigstore-js',
  builderId: 'https://github.com/actions/runner/github-hosted',
};

describe('copies of one bundle', () => {
  it('200 copies in one .jsonl: one verification, a pass', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'copies-'));
    const file = join(dir, 'copies.jsonl');
    writeFileSync(file, `${Array.from({ length: 200 }, () => JSON.stringify(bundle)).join('\n')}\n`);
    calls.count = 0;
    const result = await verifyArtifacts({
      artifacts: [join(DIR, 'npm/sigstore-2.1.0.tgz')],
      provenance: [file],
      policy,
      trustedRoot: TRUSTED_ROOT,
      offline: true,
    });
    expect(result.ok).toBe(true);
    expect(result.verdicts[0]?.matched).toHaveLength(200);
    expect(calls.count).toBe(1);
  });

  it('a broken copy in two files: verified once, each verdict names its own file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'copies-'));
    const broken = structuredClone(bundle);
    const sig = broken.dsseEnvelope.signatures[0]!;
    sig.sig = `${sig.sig.slice(0, 10)}${sig.sig[10] === 'A' ? 'B' : 'A'}${sig.sig.slice(11)}`;
    const files = ['a.json', 'b.json'].map((name) => {
      const path = join(dir, name);
      writeFileSync(path, JSON.stringify(broken));
      return path;
    });
    calls.count = 0;
    const result = await verifyArtifacts({
      artifacts: [join(DIR, 'npm/sigstore-2.1.0.tgz'), join(DIR, 'npm/sigstore-2.1.0.tgz')],
      provenance: files,
      policy,
      trustedRoot: TRUSTED_ROOT,
      offline: true,
    });
    expect(result.ok).toBe(false);
    expect(calls.count).toBe(1);
    for (const v of result.verdicts) {
      expect(v.ok).toBe(false);
      expect(files).toContain(v.provenance);
      expect(v.message).not.toContain(dir);
    }
  });
});
