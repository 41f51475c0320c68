// slsa-verifier conformance: every vector of test/fixtures/vectors/slsa-verifier/cases.json (copied
// byte for byte from shared/vectors, see SOURCE.md there) is verified through the real CLI path,
// offline, against the pinned Sigstore public-good trusted root. Offline-verifiable cases must give
// slsa-verifier's verdict (exit 0, or exit 1 with the DESIGN.md §3 code of the expected error);
// the others must fail closed.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';

const VECTORS = resolve(import.meta.dirname, '../../fixtures/vectors');
const CASES_DIR = resolve(VECTORS, 'slsa-verifier');
const TRUSTED_ROOT = resolve(VECTORS, 'sigstore/trusted_root.json');

interface ConformanceCase {
  readonly id: number;
  readonly command: 'verify-artifact' | 'verify-github-attestation' | 'verify-npm-package';
  readonly artifact: string;
  readonly provenance: string;
  readonly source_uri: string;
  readonly builder_id?: string;
  readonly source_tag?: string;
  readonly source_branch?: string;
  readonly source_versioned_tag?: string;
  readonly build_workflow_inputs?: Readonly<Record<string, string>>;
  readonly expected: string;
  /** our code where an earlier check of ours already fails (the note says which, and why) */
  readonly our_code?: string;
  readonly offline_verifiable: boolean;
  readonly upstream_test: string;
}

/** DESIGN.md §3: slsa-verifier error -> our code. */
const CODE_FOR: Readonly<Record<string, string>> = {
  ErrorInvalidSignature: 'VERIFY_SIGNATURE_INVALID',
  ErrorNoValidSignature: 'VERIFY_SIGNATURE_INVALID',
  ErrorInvalidCertificate: 'VERIFY_CERTIFICATE_INVALID',
  ErrorInvalidRekorEntry: 'VERIFY_TLOG_INVALID',
  ErrorMismatchSignature: 'VERIFY_TLOG_INVALID',
  ErrorRekorSearch: 'VERIFY_TLOG_MISSING',
  ErrorNoValidRekorEntries: 'VERIFY_TLOG_MISSING',
  ErrorInvalidOIDCIssuer: 'VERIFY_OIDC_ISSUER_MISMATCH',
  ErrorUntrustedReusableWorkflow: 'VERIFY_UNTRUSTED_BUILDER',
  ErrorMismatchBuilderID: 'VERIFY_BUILDER_MISMATCH',
  // the tool workflow a BYOB delegator signed for is not slsa-github-generator's (no --builder-id)
  ErrorInvalidBuilderID: 'VERIFY_UNTRUSTED_BUILDER',
  ErrorInvalidRef: 'VERIFY_INVALID_REF',
  ErrorMismatchSource: 'VERIFY_SOURCE_MISMATCH',
  ErrorMismatchHash: 'VERIFY_SUBJECT_DIGEST_MISMATCH',
  ErrorMismatchBranch: 'VERIFY_BRANCH_MISMATCH',
  ErrorMismatchTag: 'VERIFY_TAG_MISMATCH',
  ErrorMismatchVersionedTag: 'VERIFY_VERSIONED_TAG_MISMATCH',
  ErrorMismatchWorkflowInputs: 'VERIFY_WORKFLOW_INPUTS_MISMATCH',
  ErrorInvalidDssePayload: 'INPUT_PROVENANCE_MALFORMED',
  ErrorInvalidFormat: 'INPUT_PROVENANCE_MALFORMED',
};

const cases = JSON.parse(readFileSync(resolve(CASES_DIR, 'cases.json'), 'utf8')) as ConformanceCase[];

/** The slsa-verifier invocation of the case, as our CLI spells it. */
function argv(c: ConformanceCase): string[] {
  const args = [
    'verify',
    resolve(CASES_DIR, c.artifact),
    '--provenance',
    resolve(CASES_DIR, c.provenance),
    '--source-uri',
    c.source_uri,
    '--offline',
    '--trusted-root',
    TRUSTED_ROOT,
    '--json',
  ];
  // slsa-verifier treats an empty --builder-id as none (case 28): so do we, by not passing it.
  if (c.builder_id !== undefined && c.builder_id !== '') args.push('--builder-id', c.builder_id);
  if (c.source_tag !== undefined) args.push('--source-tag', c.source_tag);
  if (c.source_branch !== undefined) args.push('--source-branch', c.source_branch);
  if (c.source_versioned_tag !== undefined) args.push('--source-versioned-tag', c.source_versioned_tag);
  for (const [key, value] of Object.entries(c.build_workflow_inputs ?? {})) {
    args.push('--build-workflow-input', `${key}=${value}`);
  }
  return args;
}

// No network: an empty HOME keeps any TUF cache out of reach, and --offline must not need it.
const env = { PATH: process.env.PATH, HOME: '/nonexistent' };

describe('slsa-verifier conformance (offline, pinned trusted root)', () => {
  it('has every case of the vectors', () => {
    expect(cases).toHaveLength(62);
    expect(cases.filter((c) => c.offline_verifiable)).toHaveLength(53);
  });

  for (const c of cases.filter((x) => x.offline_verifiable)) {
    it(`case ${c.id}: ${c.upstream_test} -> ${c.expected}`, async () => {
      const run = await runCliCaptured(argv(c), { env });
      if (c.expected === 'pass') {
        expect({ code: run.code, out: run.json() }).toMatchObject({ code: 0, out: { ok: true } });
      } else {
        const code = c.our_code ?? CODE_FOR[c.expected];
        expect(code, `no DESIGN.md §3 mapping for ${c.expected}`).toBeDefined();
        expect({ exit: run.code, error: run.json().error?.code }).toEqual({ exit: 1, error: code });
      }
    });
  }

  for (const c of cases.filter((x) => !x.offline_verifiable)) {
    it(`case ${c.id}: ${c.upstream_test} fails closed offline (slsa-verifier online: ${c.expected})`, async () => {
      const run = await runCliCaptured(argv(c), { env });
      const error = run.json().error?.code;
      // No transparency-log proof: never a pass. VERIFY_TLOG_MISSING, or an earlier negative verdict.
      const allowed = ['VERIFY_TLOG_MISSING', ...(c.expected === 'pass' ? [] : [CODE_FOR[c.expected]])];
      expect(run.code).toBe(1);
      expect(allowed).toContain(error);
    });
  }
});
