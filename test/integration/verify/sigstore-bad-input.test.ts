// Broken Sigstore bundles and trust roots through the real CLI path: each gets a coded VERIFY_* or
// INPUT_* error with its exit code, never a pass and never exit 70.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';

const VECTORS = resolve(import.meta.dirname, '../../fixtures/vectors');
const ARTIFACT = resolve(VECTORS, 'slsa-verifier/gha_generic/v2.1.0/binary-linux-amd64-workflow_dispatch');
const BUNDLE = resolve(
  VECTORS,
  'slsa-verifier/gha_generic/v2.1.0/binary-linux-amd64-workflow_dispatch.intoto.jsonl',
);
const TRUSTED_ROOT = resolve(VECTORS, 'sigstore/trusted_root.json');
const SOURCE = 'github.com/slsa-framework/example-package';

const dir = mkdtempSync(join(tmpdir(), 'slsa-ledger-sigstore-bad-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bundle = (): any => JSON.parse(readFileSync(BUNDLE, 'utf8'));
const root = (): any => JSON.parse(readFileSync(TRUSTED_ROOT, 'utf8'));
let n = 0;
function write(value: unknown): string {
  const path = join(dir, `file-${n++}.json`);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

async function verify(provenance: string, trustedRoot: string | null = TRUSTED_ROOT) {
  const args = [
    'verify',
    ARTIFACT,
    '--provenance',
    provenance,
    '--source-uri',
    SOURCE,
    '--offline',
    '--json',
  ];
  if (trustedRoot !== null) args.push('--trusted-root', trustedRoot);
  return runCliCaptured(args, { env: { PATH: process.env.PATH, HOME: dir } });
}

function mutated(mutate: (b: any) => void): string {
  const b = bundle();
  mutate(b);
  return write(b);
}

describe('verify: broken sigstore bundles', () => {
  it.each([
    [
      'a certificate but no log entry',
      () => mutated((b) => (b.verificationMaterial.tlogEntries = [])),
      1,
      'VERIFY_TLOG_MISSING',
    ],
    [
      'a truncated inclusion proof',
      () => mutated((b) => b.verificationMaterial.tlogEntries[0].inclusionProof.hashes.splice(3)),
      1,
      'VERIFY_TLOG_INVALID',
    ],
    [
      'a forged signed entry timestamp',
      () => mutated((b) => (b.verificationMaterial.tlogEntries[0].integratedTime = '1740520731')),
      1,
      'VERIFY_TLOG_INVALID',
    ],
    [
      'an unknown media type',
      () => mutated((b) => (b.mediaType = 'application/vnd.dev.sigstore.bundle.v0.9+json')),
      3,
      'INPUT_PROVENANCE_MALFORMED',
    ],
    [
      'two signatures',
      () => mutated((b) => b.dsseEnvelope.signatures.push(b.dsseEnvelope.signatures[0])),
      3,
      'INPUT_PROVENANCE_MALFORMED',
    ],
    [
      'a corrupt certificate',
      () => mutated((b) => (b.verificationMaterial.certificate.rawBytes = 'MIIBAAAA')),
      1,
      'VERIFY_CERTIFICATE_INVALID',
    ],
    [
      'a corrupt signature',
      () => mutated((b) => (b.dsseEnvelope.signatures[0].sig = 'MEUCIQ==')),
      1,
      'VERIFY_TLOG_INVALID',
    ],
    ['a truncated file', () => write(readFileSync(BUNDLE, 'utf8').slice(0, 500)), 3, 'INPUT_JSON_MALFORMED'],
    [
      'an rfc 3161 timestamp of 200,000 nested sequences (bounded before the recursive reader)',
      () =>
        mutated((b) => {
          let token = Buffer.from([0x05, 0x00]);
          const headers: Buffer[] = [];
          for (let i = 0, n = token.length; i < 200_000; i++) {
            const len =
              n < 0x80
                ? [n]
                : n < 0x10000
                  ? [0x82, n >> 8, n & 0xff]
                  : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
            headers.push(Buffer.from([0x30, ...len]));
            n += 1 + len.length;
          }
          token = Buffer.concat([...headers.reverse(), token]);
          b.verificationMaterial.timestampVerificationData = {
            rfc3161Timestamps: [{ signedTimestamp: token.toString('base64') }],
          };
        }),
      1,
      'VERIFY_TLOG_INVALID',
    ],
    [
      'a public key beside the certificate (two members of one oneof)',
      () => mutated((b) => (b.verificationMaterial.publicKey = { hint: 'k' })),
      3,
      'INPUT_PROVENANCE_MALFORMED',
    ],
    [
      'a message signature beside the dsse envelope',
      () =>
        mutated(
          (b) =>
            (b.messageSignature = {
              messageDigest: { algorithm: 'SHA2_256', digest: 'AAAA' },
              signature: b.dsseEnvelope.signatures[0].sig,
            }),
        ),
      3,
      'INPUT_PROVENANCE_MALFORMED',
    ],
  ] as const)('%s -> exit %s %s', async (_name, make, exit, code) => {
    const run = await verify(make());
    expect({ exit: run.code, code: run.json().error?.code }).toEqual({ exit, code });
  });
});

describe('verify: trust material', () => {
  it.each([
    [
      'without the fulcio ca',
      () => write({ ...root(), certificateAuthorities: [] }),
      1,
      'VERIFY_CERTIFICATE_INVALID',
    ],
    ['without the rekor key', () => write({ ...root(), tlogs: [] }), 1, 'VERIFY_TLOG_INVALID'],
    [
      'of another media type',
      () => write({ ...root(), mediaType: 'application/json' }),
      3,
      'INPUT_TRUSTED_ROOT_INVALID',
    ],
    ['that is not json', () => write('{"mediaType": '), 3, 'INPUT_JSON_MALFORMED'],
    ['that does not exist', () => join(dir, 'missing.json'), 3, 'INPUT_FILE_MISSING'],
  ] as const)('a trusted root %s -> exit %s %s', async (_name, make, exit, code) => {
    const run = await verify(BUNDLE, make());
    expect({ exit: run.code, code: run.json().error?.code }).toEqual({ exit, code });
  });

  it('--offline without --trusted-root and no tuf cache -> TRUST_ROOT_UNAVAILABLE, nothing fetched', async () => {
    const run = await verify(BUNDLE, null);
    expect({ exit: run.code, code: run.json().error?.code }).toEqual({
      exit: 5,
      code: 'TRUST_ROOT_UNAVAILABLE',
    });
  });
});
