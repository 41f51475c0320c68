// The signed ledger keylessly, end to end with real sigstore-js (@sigstore/sign, @sigstore/verify)
// against a local Fulcio and Rekor (@sigstore/mock behind node:http): transitions signed with the
// workflows' OIDC identities, the trust policy read from a real .slsa-ledger.yml, Sigstore trust
// from a trusted_root.json file (offline, like `verify --trusted-root`), the audit and the queue gate.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideQueuedTransition } from '../../../src/core/ledger-trust/queue-gate.js';
import type { BundleSigner } from '../../../src/core/ledger-trust/sign.js';
import { verifyStoredBundle } from '../../../src/core/ledger-trust/bundle-verify.js';
import { buildVerdictEntry } from '../../../src/core/validate/validate-plan.js';
import { createSigstoreBundleSigner, loadLedgerSigner } from '../../../src/io/ledger-signer.js';
import { loadLedgerTrust, type LedgerTrust } from '../../../src/io/trust-policy-file.js';
import { makeEntry } from '../../support/ledger.js';
import { githubIdentityToken, startLocalSigstore, type LocalSigstore } from '../../support/sigstore-mock.js';
import { makeVsa, SignedLedger } from '../../support/trust-ledger.js';

const APP = 'acme/app';
const workflow = (file: string, ref = 'refs/heads/main', repo = APP): string =>
  `https://github.com/${repo}/.github/workflows/${file}@${ref}`;
const token = (file: string, ref?: string, repo?: string): string =>
  githubIdentityToken({
    workflowUri: workflow(file, ref, repo),
    repository: repo ?? APP,
    ref: ref ?? 'refs/heads/main',
    sha: 'a'.repeat(40),
  });

const config = `# the checker's own config
trust:
  signers:
    provenance:
      workflow: ${APP}/.github/workflows/provenance.yml
      ref: refs/heads/main
    validate:
      workflow: ${APP}/.github/workflows/validate.yml
  record: [provenance]
  update: [provenance]
  verdict: [validate]
`;

let sigstore: LocalSigstore;
let other: LocalSigstore;
let dir: string;
let trust: LedgerTrust;
let signer: (t: string, s?: LocalSigstore) => BundleSigner;

beforeAll(async () => {
  [sigstore, other] = await Promise.all([startLocalSigstore(), startLocalSigstore()]);
  dir = await mkdtemp(join(tmpdir(), 'slsa-ledger-trust-'));
  await writeFile(join(dir, '.slsa-ledger.yml'), config);
  await writeFile(join(dir, 'trusted_root.json'), JSON.stringify(sigstore.trustedRoot));
  trust = (await loadLedgerTrust({
    configPath: join(dir, '.slsa-ledger.yml'),
    trustedRootPath: join(dir, 'trusted_root.json'),
    offline: true,
  }))!;
  signer = (t, s = sigstore) =>
    createSigstoreBundleSigner({
      fulcioUrl: s.fulcioUrl,
      rekorUrl: s.rekorUrl,
      identityToken: () => Promise.resolve(t),
      retries: 0,
    });
});

afterAll(async () => {
  await Promise.all([sigstore?.close(), other?.close()]);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

async function judgedLedger(): Promise<SignedLedger> {
  const l = new SignedLedger();
  await l.write(makeEntry({ governance_flag: 'provenance-ready' }), signer(token('provenance.yml')));
  await l.write(makeEntry({ run_id: 102 }), signer(token('provenance.yml')));
  const judged = buildVerdictEntry(l.entry('v1.2.3', 101)!, {
    passed: true,
    validatedAt: '2025-11-24T12:30:00Z',
  });
  await l.write(judged, signer(token('validate.yml', 'refs/tags/v1.2.3')), {
    writer: 'validate',
    vsa: makeVsa(judged),
  });
  return l;
}

describe('keyless signed ledger', () => {
  it('loads the policy and the trusted root offline, and needs sigstore for it', () => {
    expect(trust.policy.needsSigstore).toBe(true);
    expect(trust.material.sigstore).toBeDefined();
  });

  it('verifies transitions signed by the allowed workflows', async () => {
    const l = await judgedLedger();
    const result = l.audit(trust.policy, trust.material);
    expect(result.findings).toEqual([]);
    expect(result.entries.map((e) => [e.run_id, e.status])).toEqual([
      [101, 'verified'],
      [102, 'verified'],
    ]);
    expect(result.entries[0]!.signer).toBe(
      `${workflow('validate.yml', 'refs/tags/v1.2.3')} (issuer https://token.actions.githubusercontent.com)`,
    );
    expect(result.verified).toBe(4);
  });

  it('catches a verdict signed by the provenance workflow, a workflow on another ref and a fork', async () => {
    const l = await judgedLedger();
    const e = l.entry('v1.2.3', 102)!;
    await l.write(
      buildVerdictEntry(e, { passed: true, validatedAt: '2025-11-24T12:40:00Z' }),
      signer(token('provenance.yml')),
      { writer: 'validate' },
    );
    await l.write(makeEntry({ run_id: 103 }), signer(token('provenance.yml', 'refs/heads/dev')));
    await l.write(makeEntry({ run_id: 104 }), signer(token('provenance.yml', 'refs/heads/main', 'evil/app')));
    const result = l.audit(trust.policy, trust.material);
    expect(result.findings.map((f) => [f.code, f.run_id])).toEqual([
      ['CHECK_SIGNER_UNTRUSTED', 102],
      ['CHECK_SIGNER_UNTRUSTED', 103],
      ['CHECK_SIGNER_UNTRUSTED', 104],
    ]);
    expect(result.findings[0]!.message).toContain('may sign record, update but not verdict');
  });

  it('refuses a certificate from another sigstore, and a bundle whose payload was swapped', async () => {
    const l = await judgedLedger();
    await l.write(makeEntry({ run_id: 105 }), signer(token('provenance.yml'), other));
    const log = [...l.files.keys()].find((p) => p.endsWith('transitions.jsonl'))!;
    const lines = l.files.get(log)!.trimEnd().split('\n');
    const first = JSON.parse(lines[0]!) as { dsseEnvelope: { payload: string } };
    const second = JSON.parse(lines[1]!) as { dsseEnvelope: { payload: string } };
    first.dsseEnvelope.payload = second.dsseEnvelope.payload;
    l.commit({ [log]: `${l.files.get(log)!}${JSON.stringify(first)}\n` });
    const result = l.audit(trust.policy, trust.material, { history: false });
    expect(result.findings.map((f) => [f.code, f.line])).toEqual([
      ['CHECK_SIGNATURE_INVALID', 4],
      ['CHECK_SIGNATURE_INVALID', 5],
      // the swapped-in payload is run 102's record: replayed, it also breaks that run's chain
      ['CHECK_CHAIN_BROKEN', 5],
    ]);
    expect(result.findings[0]!.message).toContain('VERIFY_CERTIFICATE_INVALID');
  });

  it('lets flush land a keyless-signed queued record and refuses a forged one', async () => {
    const l = new SignedLedger();
    const w = await l.write(makeEntry({ run_id: 7 }), signer(token('provenance.yml')));
    const day = w.path;
    const decide = (transition: unknown) =>
      decideQueuedTransition({
        item: { entry: w.entry, transition },
        current: undefined,
        policy: trust.policy,
        material: trust.material,
        location: l.location,
      });
    expect(decide(w.bundle)).toMatchObject({ kind: 'land', transitionKind: 'record', path: day });
    const forged = new SignedLedger();
    const f = await forged.write(
      makeEntry({ run_id: 7 }),
      signer(token('release.yml', 'refs/heads/main', 'evil/app')),
    );
    expect(decide(f.bundle)).toMatchObject({ kind: 'untrusted', code: 'FLUSH_ENTRY_UNTRUSTED' });
  });

  it('signs through loadLedgerSigner with the token from SIGSTORE_ID_TOKEN', async () => {
    const s = await loadLedgerSigner({
      mode: { kind: 'sigstore' },
      env: { SIGSTORE_ID_TOKEN: token('provenance.yml') },
      fulcioUrl: sigstore.fulcioUrl,
      rekorUrl: sigstore.rekorUrl,
    });
    expect(s?.mode).toBe('sigstore');
    const statement = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'x', digest: { sha256: 'a'.repeat(64) } }],
      predicateType: 'https://example.com/p',
      predicate: {},
    };
    const bundle = await s!.signDsse('application/vnd.in-toto+json', Buffer.from(JSON.stringify(statement)));
    const verified = verifyStoredBundle(bundle, trust.material);
    expect(verified.ok && verified.signer).toMatchObject({
      kind: 'certificate',
      subjectAlternativeName: workflow('provenance.yml'),
    });
    expect(sigstore.requests).toContain('POST /api/v1/log/entries');
  });

  it('fails keyless signing with a coded error and no token in it', async () => {
    const t = token('provenance.yml');
    const s = createSigstoreBundleSigner({
      fulcioUrl: 'http://127.0.0.1:1',
      rekorUrl: 'http://127.0.0.1:1',
      identityToken: () => Promise.resolve(t),
      retries: 0,
      timeoutMs: 2000,
    });
    const error = await s
      .signDsse('application/vnd.in-toto+json', Buffer.from('{}'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: 'SIGN_FAILED' });
    expect(
      JSON.stringify({ m: (error as Error).message, d: (error as { details?: unknown }).details }),
    ).not.toContain(t);
    const missing = await loadLedgerSigner({ mode: { kind: 'sigstore' }, env: {} });
    await expect(missing!.signDsse('application/vnd.in-toto+json', Buffer.from('{}'))).rejects.toThrowCode(
      'OIDC_TOKEN_UNAVAILABLE',
    );
  });
});
