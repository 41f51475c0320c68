// verify --vsa: a real VSA (Google BCID, slsa-verifier's test data) with slsa-verifier's own cases,
// and a round trip: keygen -> buildVsaStatement -> signVsa -> verify --vsa through the CLI.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signVsa } from '../../../src/core/ledger-trust/sign.js';
import { createKeyBundleSigner } from '../../../src/io/ledger-signer.js';
import { buildVsaStatement } from '../../../src/core/vsa/vsa.js';
import { loadPrivateKey } from '../../../src/io/keys.js';
import { runCliCaptured } from '../../support/cli.js';

const DIR = join(import.meta.dirname, '../../fixtures/vectors/vsa');
const gke = [
  '--vsa',
  'gke-gce-pre.bcid-vsa.jsonl',
  '--key',
  'vsa_signing_public_key.pem',
  '--digest',
  'gce_image_id:8970095005306000053',
  '--verifier-id',
  'https://bcid.corp.google.com/verifier/bcid_package_enforcer/v0.1',
  '--resource-uri',
  'gce_image://gke-node-images:gke-12615-gke1418000-cos-101-17162-463-29-c-cgpv1-pre',
];

async function verify(args: string[], cwd = DIR) {
  const run = await runCliCaptured(['verify', ...args, '--json'], { cwd });
  return { code: run.code, json: run.json() };
}

describe('verify --vsa on slsa-verifier verify-vsa test data', () => {
  it('success: gke', async () => {
    const r = await verify([
      ...gke,
      '--verified-level',
      'BCID_L1',
      '--verified-level',
      'SLSA_BUILD_LEVEL_2',
      '--public-key-id',
      'keystore://76574:prod:vsa_signing_public_key',
    ]);
    expect(r.code).toBe(0);
  });
  it.each([
    ['an empty public key id', ['--public-key-id', ''], 'VERIFY_SIGNATURE_INVALID'],
    ['a wrong key id', ['--public-key-id', 'my_key_id'], 'VERIFY_SIGNATURE_INVALID'],
    ['a higher level', ['--verified-level', 'SLSA_BUILD_LEVEL_3'], 'VERIFY_VSA_MISMATCH'],
    ['another verifier', ['--verifier-id', 'https://example.com/v'], 'VERIFY_VSA_MISMATCH'],
  ])('fails: %s', async (_n, change, code) => {
    const args = [...gke];
    const i = args.indexOf(change[0] as string);
    if (i >= 0) args.splice(i, 2);
    const r = await verify([...args, ...change]);
    expect(r.code).toBe(1);
    expect(r.json.error?.code).toBe(code);
  });
});

describe('a VSA written by slsa-ledger round-trips through verify --vsa', () => {
  it('keygen, build, sign, verify', async () => {
    const d = mkdtempSync(join(tmpdir(), 'slsa-ledger-vsa-'));
    expect((await runCliCaptured(['keygen', '--type', 'p256', '--out', 'v.pem'], { cwd: d })).code).toBe(0);
    writeFileSync(join(d, 'app.tar.gz'), 'app\n');
    const key = await loadPrivateKey(join(d, 'v.pem'));
    const statement = buildVsaStatement({
      subjects: [
        {
          name: 'app.tar.gz',
          digest: { sha256: '0f8b4aac0c6d6be1c3d7b3d0e4b1bd1b7f7ba1d46b3e3d7b4d4fea3a8a6d2d0b' },
        },
      ],
      verifierId: 'https://github.com/acme/app/.github/workflows/validate.yml',
      timeVerified: new Date(),
      resourceUri: 'git+https://github.com/acme/app@refs/tags/v1',
      policy: { uri: 'https://github.com/acme/app/blob/main/.slsa-ledger.yml' },
      inputAttestations: [{ uri: 'app.sigstore.json', digest: { sha256: '00'.repeat(32) } }],
      passed: true,
      verifiedLevels: ['SLSA_BUILD_LEVEL_3'],
    });
    const { createHash } = await import('node:crypto');
    const sha = createHash('sha256').update('app\n').digest('hex');
    const st = { ...statement, subject: [{ name: 'app.tar.gz', digest: { sha256: sha } }] };
    writeFileSync(
      join(d, 'app.vsa.json'),
      JSON.stringify((await signVsa(st, createKeyBundleSigner(key))).bundle),
    );
    const args = [
      'app.tar.gz',
      '--vsa',
      'app.vsa.json',
      '--key',
      'v.pub',
      '--verifier-id',
      statement.predicate.verifier.id,
      '--resource-uri',
      statement.predicate.resourceUri,
    ];
    expect(
      (await verify([...args, '--public-key-id', key.keyId, '--verified-level', 'SLSA_BUILD_LEVEL_2'], d))
        .code,
    ).toBe(0);
    writeFileSync(join(d, 'other.tar.gz'), 'other\n');
    const other = await verify(['other.tar.gz', ...args.slice(1)], d);
    expect(other.json.error?.code).toBe('VERIFY_VSA_MISMATCH');
  });
});
