// Key mode from real files: `--sign-key FILE` (ed25519 or P-256 PEM, encrypted with the passphrase
// from SLSA_LEDGER_KEY_PASSPHRASE), `--trust-key PUB`, and the `trust:` section of a real
// .slsa-ledger.yml (bounded YAML, duplicate keys refused, key files relative to the config).
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideSigningMode } from '../../../src/core/ledger-trust/sign.js';
import { isSlsaLedgerError } from '../../../src/errors.js';
import { KEY_PASSPHRASE_ENV, loadLedgerSigner } from '../../../src/io/ledger-signer.js';
import { loadLedgerTrust, readTrustPolicyFile } from '../../../src/io/trust-policy-file.js';
import { makeEntry } from '../../support/ledger.js';
import { SignedLedger } from '../../support/trust-ledger.js';

const PASSPHRASE = 'correct horse battery staple';
let dir: string;
const path = (...p: string[]): string => join(dir, ...p);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slsa-ledger-trust-keys-'));
  await mkdir(path('keys'));
  const ed = generateKeyPairSync('ed25519');
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await writeFile(path('keys', 'ed.pem'), ed.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  await writeFile(path('keys', 'ed.pub'), ed.publicKey.export({ type: 'spki', format: 'pem' }));
  await writeFile(
    path('keys', 'ec.pem'),
    ec.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASSPHRASE }),
  );
  await writeFile(path('keys', 'ec.pub'), ec.publicKey.export({ type: 'spki', format: 'pem' }));
  await writeFile(path('keys', 'rsa.pem'), rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  await symlink(path('keys', 'ed.pem'), path('keys', 'link.pem'));
});

afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

async function codeOf(p: Promise<unknown>): Promise<{ code: string | undefined; text: string }> {
  try {
    await p;
  } catch (error) {
    return {
      code: isSlsaLedgerError(error) ? error.code : undefined,
      text: `${(error as Error).message} ${JSON.stringify((error as { details?: unknown }).details ?? {})} ${JSON.stringify(String((error as { cause?: { message?: string } }).cause?.message ?? ''))}`,
    };
  }
  return { code: undefined, text: '' };
}

describe('key mode from files', () => {
  it('signs with ed25519 and encrypted P-256 keys and verifies with --trust-key and a policy file', async () => {
    const env = { [KEY_PASSPHRASE_ENV]: PASSPHRASE };
    const recorder = (await loadLedgerSigner({
      mode: decideSigningMode({ signKey: path('keys', 'ed.pem') }, { githubActions: false }),
      env,
    }))!;
    const judge = (await loadLedgerSigner({ mode: { kind: 'key', keyPath: path('keys', 'ec.pem') }, env }))!;
    expect([recorder.mode, judge.mode]).toEqual(['key', 'key']);
    await writeFile(
      path('.slsa-ledger.yml'),
      `trust:\n  signers:\n    recorder: {key: keys/ed.pub}\n    judge: {key_id: ${judge.keyId}}\n  record: [recorder]\n  update: [recorder]\n  verdict: [judge]\n`,
    );
    const trust = (await loadLedgerTrust({
      configPath: path('.slsa-ledger.yml'),
      trustKeyPaths: [path('keys', 'ec.pub')],
      offline: true,
    }))!;
    expect(trust.policy.needsSigstore).toBe(false);
    expect(trust.material.sigstore).toBeUndefined();

    const l = new SignedLedger();
    await l.write(makeEntry(), recorder);
    const e = l.entry('v1.2.3', 101)!;
    await l.write(
      {
        ...e,
        governance_flag: 'validated',
        validation: { status: 'passed', validated_at: '2025-11-24T12:00:00Z' },
      },
      judge,
      { writer: 'validate' },
    );
    expect(l.audit(trust.policy, trust.material).findings).toEqual([]);
    await l.write(makeEntry({ run_id: 102 }), judge);
    expect(l.audit(trust.policy, trust.material).findings.map((f) => f.code)).toEqual([
      'CHECK_SIGNER_UNTRUSTED',
    ]);

    // --trust-key alone trusts the key for every kind
    const only = (await loadLedgerTrust({
      trustKeyPaths: [path('keys', 'ed.pub'), path('keys', 'ec.pub')],
    }))!;
    expect(l.audit(only.policy, only.material).findings).toEqual([]);
  });

  it('keeps the passphrase out of every error', async () => {
    const wrong = `${PASSPHRASE}!`;
    const bad = await codeOf(
      loadLedgerSigner({
        mode: { kind: 'key', keyPath: path('keys', 'ec.pem') },
        env: { [KEY_PASSPHRASE_ENV]: wrong },
      }),
    );
    expect(bad.code).toBe('INPUT_KEY_INVALID');
    expect(bad.text).not.toContain(wrong);
    const none = await codeOf(
      loadLedgerSigner({ mode: { kind: 'key', keyPath: path('keys', 'ec.pem') }, env: {} }),
    );
    expect(none.code).toBe('INPUT_KEY_INVALID');
    expect(none.text).toContain('SLSA_LEDGER_KEY_PASSPHRASE');
  });

  it.each([
    ['an rsa key', 'rsa.pem', 'INPUT_KEY_INVALID'],
    ['a symlinked key', 'link.pem', 'INPUT_FILE_NOT_REGULAR'],
    ['a missing key', 'nope.pem', 'INPUT_FILE_MISSING'],
    ['a public key as the signing key', 'ed.pub', 'INPUT_KEY_INVALID'],
  ])('refuses %s', async (_name, file, code) => {
    expect(
      (await codeOf(loadLedgerSigner({ mode: { kind: 'key', keyPath: path('keys', file) }, env: {} }))).code,
    ).toBe(code);
  });

  it('signs nothing with --no-sign', async () => {
    expect(await loadLedgerSigner({ mode: { kind: 'none' }, env: {} })).toBeUndefined();
  });
});

describe('the trust: section of .slsa-ledger.yml', () => {
  it.each([
    ['no trust section', 'record:\n  remote: origin\n', undefined],
    ['an empty file', '', undefined],
    ['a null trust section', 'trust:\n', undefined],
  ])('%s is no policy', async (_name, text, expected) => {
    await writeFile(path('c.yml'), text);
    expect(await readTrustPolicyFile(path('c.yml'))).toBe(expected);
    expect(await loadLedgerTrust({ configPath: path('c.yml') })).toBeUndefined();
  });

  it.each([
    ['duplicate keys', 'trust:\n  record: []\n  record: []\n', 'CONFIG_INVALID'],
    ['not yaml', 'trust: [\n', 'CONFIG_INVALID'],
    ['a list at the top', '- trust\n', 'CONFIG_INVALID'],
    [
      'an alias bomb',
      `a: &a [x,x,x,x,x,x,x,x,x,x]\n${Array.from(
        { length: 12 },
        (_, i) =>
          `b${i}: &b${i} [${Array(10)
            .fill(i === 0 ? '*a' : `*b${i - 1}`)
            .join(',')}]`,
      ).join('\n')}\ntrust: *b11\n`,
      'CONFIG_INVALID',
    ],
    ['an invalid policy', 'trust:\n  signers: {a: {identity: x}}\n  record: [a]\n', 'TRUST_POLICY_INVALID'],
    [
      'a key file that does not exist',
      'trust:\n  signers: {a: {key: keys/none.pub}}\n  record: [a]\n',
      'INPUT_FILE_MISSING',
    ],
    [
      'a private key as a trusted key',
      'trust:\n  signers: {a: {key: keys/ed.pem}}\n  record: [a]\n',
      'INPUT_KEY_INVALID',
    ],
  ])('refuses %s', async (_name, text, code) => {
    await writeFile(path('c.yml'), text);
    expect((await codeOf(loadLedgerTrust({ configPath: path('c.yml') }))).code).toBe(code);
  });

  it('refuses a config that is a symlink or too large', async () => {
    await writeFile(path('big.yml'), `# ${'x'.repeat(1024 * 1024)}\n`);
    expect((await codeOf(readTrustPolicyFile(path('big.yml')))).code).toBe('INPUT_TOO_LARGE');
    await symlink(path('big.yml'), path('link.yml'));
    expect((await codeOf(readTrustPolicyFile(path('link.yml')))).code).toBe('INPUT_FILE_NOT_REGULAR');
  });

  it('needs the sigstore trusted root for keyless signers, offline', async () => {
    await writeFile(
      path('k.yml'),
      'trust:\n  signers: {p: {workflow: acme/app/.github/workflows/p.yml}}\n  record: [p]\n',
    );
    const result = await codeOf(
      loadLedgerTrust({ configPath: path('k.yml'), offline: true, env: { HOME: path('no-home') } }),
    );
    expect(result.code).toBe('TRUST_ROOT_UNAVAILABLE');
  });
});
