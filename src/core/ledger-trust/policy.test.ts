import { describe, expect, it } from 'vitest';
import { makeTestKey } from '../../../test/support/trust-ledger.js';
import { isSlsaLedgerError } from '../../errors.js';
import type { SignerIdentity } from '../verify/types.js';
import {
  decideSigner,
  GITHUB_ACTIONS_ISSUER,
  parseTrustPolicy,
  resolveTrustPolicy,
  signerMatches,
  trustPolicyDigest,
  type TrustPolicyDocument,
} from './policy.js';

const laptop = makeTestKey();
const ci = makeTestKey('p256');

const provenance = 'https://github.com/acme/app/.github/workflows/provenance.yml@refs/heads/main';
const validate = 'https://github.com/acme/app/.github/workflows/validate.yml@refs/tags/v1.2.3';
const cert = (san: string, issuer = GITHUB_ACTIONS_ISSUER): SignerIdentity => ({
  kind: 'certificate',
  issuer,
  subjectAlternativeName: san,
});

const written = {
  signers: {
    'provenance-workflow': { workflow: 'acme/app/.github/workflows/provenance.yml', ref: 'refs/heads/main' },
    'validate-workflow': { workflow: 'acme/app/.github/workflows/validate.yml' },
    'exact-id': { issuer: 'https://issuer.example', identity: 'ops@example.com' },
    'regex-id': { issuer: 'https://issuer.example', identity_regex: '.+@example\\.com' },
    'release-laptop': { key_id: laptop.keyId },
    'ci-key': { key: 'keys/ci.pub' },
  },
  record: ['provenance-workflow', 'release-laptop', 'ci-key'],
  update: ['provenance-workflow', 'exact-id'],
  verdict: ['validate-workflow', 'regex-id'],
};

function problemsOf(value: unknown): string[] {
  try {
    parseTrustPolicy(value, '.slsa-ledger.yml');
  } catch (error) {
    if (isSlsaLedgerError(error) && error.code === 'TRUST_POLICY_INVALID')
      return error.details!.problems as string[];
    throw error;
  }
  return [];
}

describe('parseTrustPolicy', () => {
  it('reads every signer form', () => {
    const doc = parseTrustPolicy(written, 'f');
    expect(doc.signers['ci-key']).toEqual({ key: 'keys/ci.pub' });
    expect(doc.verdict).toEqual(['validate-workflow', 'regex-id']);
  });

  it('defaults absent kinds to nobody', () => {
    expect(parseTrustPolicy({ signers: { a: { key_id: laptop.keyId } }, record: ['a'] }, 'f').update).toEqual(
      [],
    );
  });

  it.each([
    ['not a mapping', 'yes', 'trust'],
    ['an unknown key', { ...written, signer: {} }, 'trust'],
    [
      'an unknown signer field',
      { ...written, signers: { a: { key_id: laptop.keyId, note: 1 } }, record: ['a'] },
      'trust.signers.a',
    ],
    [
      'two identities',
      { signers: { a: { key_id: laptop.keyId, key: 'k.pub' } }, record: ['a'] },
      'exactly one',
    ],
    ['no identity', { signers: { a: { issuer: 'https://x' } }, record: ['a'] }, 'exactly one'],
    [
      'an identity without issuer',
      { signers: { a: { identity: 'x' } }, record: ['a'] },
      'trust.signers.a.issuer',
    ],
    [
      'an issuer on a key',
      { signers: { a: { key_id: laptop.keyId, issuer: 'https://x' } }, record: ['a'] },
      'trust.signers.a.issuer',
    ],
    [
      'a ref without workflow',
      { signers: { a: { issuer: 'https://x', identity: 'x', ref: 'refs/heads/main' } }, record: ['a'] },
      'trust.signers.a.ref',
    ],
    [
      'a bad regular expression',
      { signers: { a: { issuer: 'https://x', identity_regex: '(' } }, record: ['a'] },
      'trust.signers.a.identity_regex',
    ],
    [
      'a bad workflow',
      { signers: { a: { workflow: 'acme/app/release.yml' } }, record: ['a'] },
      'trust.signers.a.workflow',
    ],
    [
      'a short ref',
      { signers: { a: { workflow: 'acme/app/.github/workflows/r.yml', ref: 'main' } }, record: ['a'] },
      'trust.signers.a.ref',
    ],
    [
      'an http issuer',
      { signers: { a: { issuer: 'http://x', identity: 'x' } }, record: ['a'] },
      'trust.signers.a.issuer',
    ],
    ['a short key id', { signers: { a: { key_id: 'abc' } }, record: ['a'] }, 'trust.signers.a.key_id'],
    [
      'an unknown signer name in a kind',
      { signers: { a: { key_id: laptop.keyId } }, record: ['b'] },
      'trust.record.0',
    ],
    ['no signer for any kind', { signers: { a: { key_id: laptop.keyId } } }, 'allows no signer'],
    ['a bad signer name', { signers: { 'a b': { key_id: laptop.keyId } }, record: [] }, 'trust.signers'],
  ])('refuses %s', (_name, value, where) => {
    const problems = problemsOf(value);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).toContain(where);
  });

  it('lists every problem at once', () => {
    expect(
      problemsOf({
        signers: { a: { key_id: 'x' }, b: { issuer: 'http://x', identity: 'y' } },
        record: ['a', 'c'],
      }),
    ).toHaveLength(3);
  });
});

describe('resolveTrustPolicy and decideSigner', () => {
  const doc: TrustPolicyDocument = parseTrustPolicy(written, 'f');
  const policy = resolveTrustPolicy(doc, {
    keyFiles: new Map([['keys/ci.pub', ci.trusted]]),
    trustKeys: [laptop.trusted],
  });

  it('resolves keys, workflows and identities', () => {
    expect(policy.needsSigstore).toBe(true);
    expect([...policy.keys.keys()].sort()).toEqual([laptop.keyId, ci.keyId].sort());
    expect(policy.allowed.record.map((r) => r.name)).toEqual([
      'provenance-workflow',
      'release-laptop',
      'ci-key',
    ]);
  });

  it.each([
    ['the provenance workflow records', 'record', cert(provenance), true],
    [
      'the provenance workflow on another ref',
      'record',
      cert(provenance.replace('heads/main', 'heads/dev')),
      false,
    ],
    [
      'the provenance workflow of another repository',
      'record',
      cert(provenance.replace('acme/app', 'evil/app')),
      false,
    ],
    [
      'the provenance workflow from another issuer',
      'record',
      cert(provenance, 'https://evil.example'),
      false,
    ],
    ['the provenance workflow giving a verdict', 'verdict', cert(provenance), false],
    ['the validate workflow on any ref', 'verdict', cert(validate), true],
    [
      'the validate workflow as a prefix of a longer path',
      'verdict',
      cert(validate.replace('validate.yml', 'validate.yml.evil')),
      false,
    ],
    ['the validate workflow with a space in the ref', 'verdict', cert(`${validate} x`), false],
    ['an exact identity', 'update', cert('ops@example.com', 'https://issuer.example'), true],
    ['an exact identity, other case', 'update', cert('OPS@example.com', 'https://issuer.example'), false],
    ['a regex identity, matched whole', 'verdict', cert('qa@example.com', 'https://issuer.example'), true],
    [
      'a regex identity, matched in part only',
      'verdict',
      cert('qa@example.com.evil', 'https://issuer.example'),
      false,
    ],
    ['the laptop key records', 'record', { kind: 'key', keyId: laptop.keyId }, true],
    ['the laptop key updating', 'update', { kind: 'key', keyId: laptop.keyId }, false],
    ['the ci key file', 'record', { kind: 'key', keyId: ci.keyId }, true],
    ['an unknown key', 'record', { kind: 'key', keyId: 'f'.repeat(64) }, false],
  ] as const)('%s', (_name, kind, signer, allowed) => {
    const decision = decideSigner(policy, kind, signer);
    expect(decision.allowed).toBe(allowed);
    if (!decision.allowed) expect(decision.reason).not.toBe('');
  });

  it('explains why a signer is refused', () => {
    const d1 = decideSigner(policy, 'verdict', cert(provenance));
    expect(!d1.allowed && d1.reason).toContain('may sign record, update but not verdict');
    const d2 = decideSigner(policy, 'record', { kind: 'key', keyId: 'f'.repeat(64) });
    expect(!d2.allowed && d2.reason).toContain('not a signer of the trust policy');
    const idle = resolveTrustPolicy(
      parseTrustPolicy(
        { signers: { a: { key_id: laptop.keyId }, b: { key_id: ci.keyId } }, record: ['a'] },
        'f',
      ),
      {
        trustKeys: [laptop.trusted, ci.trusted],
      },
    );
    const d3 = decideSigner(idle, 'record', { kind: 'key', keyId: ci.keyId });
    expect(!d3.allowed && d3.reason).toContain('(signer b) is not allowed any kind');
  });

  it('trustPolicyDigest: the same for the same rules, another for another signer, kind or identity', () => {
    const again = resolveTrustPolicy(parseTrustPolicy(written, 'f'), {
      keyFiles: new Map([['keys/ci.pub', ci.trusted]]),
      trustKeys: [laptop.trusted],
    });
    expect(trustPolicyDigest(again)).toBe(trustPolicyDigest(policy));
    expect(trustPolicyDigest(policy)).toMatch(/^[0-9a-f]{64}$/);
    const laptopOnly = resolveTrustPolicy(undefined, { trustKeys: [laptop.trusted] });
    const ciOnly = resolveTrustPolicy(undefined, { trustKeys: [ci.trusted] });
    const both = resolveTrustPolicy(undefined, { trustKeys: [laptop.trusted, ci.trusted] });
    const digests = new Set([laptopOnly, ciOnly, both, policy].map(trustPolicyDigest));
    expect(digests.size).toBe(4);
    const other = resolveTrustPolicy(parseTrustPolicy({ ...written, record: ['ci-key'] }, 'f'), {
      keyFiles: new Map([['keys/ci.pub', ci.trusted]]),
      trustKeys: [laptop.trusted],
    });
    expect(trustPolicyDigest(other)).not.toBe(trustPolicyDigest(policy));
  });

  it('without a document, trusts every --trust-key for every kind', () => {
    const p = resolveTrustPolicy(undefined, { trustKeys: [laptop.trusted] });
    for (const kind of ['record', 'update', 'verdict'] as const) {
      expect(decideSigner(p, kind, { kind: 'key', keyId: laptop.keyId }).allowed).toBe(true);
    }
    expect(p.needsSigstore).toBe(false);
    expect(signerMatches(p.signers[0]!, cert(provenance))).toBe(false);
  });

  it.each([
    ['no policy and no key', undefined, {}],
    ['a key id without its key', doc, { keyFiles: new Map([['keys/ci.pub', ci.trusted]]) }],
    ['a key file not loaded', doc, { trustKeys: [laptop.trusted] }],
    [
      'a --trust-key the policy does not name',
      doc,
      {
        keyFiles: new Map([['keys/ci.pub', ci.trusted]]),
        trustKeys: [laptop.trusted, makeTestKey().trusted],
      },
    ],
  ] as const)('refuses %s', (_name, document, options) => {
    expect(() => resolveTrustPolicy(document, options)).toThrowCode('TRUST_POLICY_INVALID');
  });
});

describe('workflow signers with several refs and wildcards', () => {
  const policy = resolveTrustPolicy(
    parseTrustPolicy(
      {
        signers: {
          release: {
            workflow: 'acme/app/.github/workflows/release.yml',
            ref: ['refs/tags/v*', 'refs/heads/main'],
          },
        },
        record: ['release'],
      },
      'f',
    ),
    { trustKeys: [] },
  );
  const release = (ref: string) => cert(`https://github.com/acme/app/.github/workflows/release.yml@${ref}`);

  it.each([
    ['a release tag', 'refs/tags/v1.2.3', true],
    ['the default branch', 'refs/heads/main', true],
    ['a branch a pusher made', 'refs/heads/evil', false],
    ['a tag outside the pattern', 'refs/tags/1.2.3', false],
    ['a branch named like the pattern', 'refs/heads/refs/tags/v1', false],
    ['a ref with an @ inside the wildcard', 'refs/tags/v1@x', false],
    ['a ref with a space inside the wildcard', 'refs/tags/v1 x', false],
    ['the default branch with a suffix', 'refs/heads/main-x', false],
  ] as const)('%s', (_name, ref, allowed) => {
    expect(decideSigner(policy, 'record', release(ref)).allowed).toBe(allowed);
  });

  it('refuses an empty list and short refs in a list', () => {
    const problems = (ref: unknown) => {
      try {
        parseTrustPolicy(
          { signers: { a: { workflow: 'acme/app/.github/workflows/r.yml', ref } }, record: ['a'] },
          'f',
        );
        return [];
      } catch (error) {
        return (error as { details: { problems: string[] } }).details.problems;
      }
    };
    expect(problems([]).join('\n')).toMatch(/trust\.signers\.a\.ref/);
    expect(problems(['refs/heads/main', 'main']).join('\n')).toMatch(/trust\.signers\.a\.ref/);
  });
});

// Mutation audit (issue 14, seventeenth session): each case below fails on a plausible bug in the
// matching or parsing of signers that no test above caught (a prefix match, an unanchored
// alternation, a dropped escape, a ref list reduced to its first ref, a server's trailing slash…).
describe('signer matching, mutation audit', () => {
  const resolve = (signers: Record<string, unknown>, kinds: Record<string, string[]> = {}) =>
    resolveTrustPolicy(parseTrustPolicy({ signers, record: Object.keys(signers), ...kinds }, 'f'), {
      trustKeys: 'k' in signers ? [laptop.trusted] : [],
    });
  const wf = 'acme/app/.github/workflows/r.yml';
  const san = (ref: string, server = 'https://github.com') => `${server}/${wf}@${ref}`;
  const allowed = (policy: ReturnType<typeof resolve>, signer: SignerIdentity) =>
    decideSigner(policy, 'record', signer).allowed;

  it('compares an exact identity whole, not as a prefix', () => {
    const p = resolve({ ops: { issuer: 'https://issuer.example', identity: 'ops@example.com' } });
    expect(allowed(p, cert('ops@example.com', 'https://issuer.example'))).toBe(true);
    expect(allowed(p, cert('ops@example.com.evil', 'https://issuer.example'))).toBe(false);
  });

  it('compares a single exact ref whole, not as a prefix', () => {
    const p = resolve({ r: { workflow: wf, ref: 'refs/heads/main' } });
    expect(allowed(p, cert(san('refs/heads/main')))).toBe(true);
    expect(allowed(p, cert(san('refs/heads/main-evil')))).toBe(false);
  });

  it('anchors every alternative of an identity_regex', () => {
    const p = resolve({ qa: { issuer: 'https://issuer.example', identity_regex: 'a@x\\.com|b@x\\.com' } });
    expect(allowed(p, cert('a@x.com', 'https://issuer.example'))).toBe(true);
    expect(allowed(p, cert('b@x.com', 'https://issuer.example'))).toBe(true);
    expect(allowed(p, cert('a@x.com.evil', 'https://issuer.example'))).toBe(false);
    expect(allowed(p, cert('evil-b@x.com', 'https://issuer.example'))).toBe(false);
  });

  it('allows every ref of a list without wildcards, not only the first', () => {
    const p = resolve({ r: { workflow: wf, ref: ['refs/heads/main', 'refs/heads/release'] } });
    expect(allowed(p, cert(san('refs/heads/main')))).toBe(true);
    expect(allowed(p, cert(san('refs/heads/release')))).toBe(true);
    expect(allowed(p, cert(san('refs/heads/other')))).toBe(false);
  });

  it('takes the characters around a * literally (a . is a dot)', () => {
    const p = resolve({ r: { workflow: wf, ref: 'refs/tags/v1.*' } });
    expect(allowed(p, cert(san('refs/tags/v1.2')))).toBe(true);
    expect(allowed(p, cert(san('refs/tags/v1x2')))).toBe(false);
  });

  it('drops the trailing slash of a server', () => {
    const ghe = 'https://ghe.example.com';
    const p = resolve({ r: { workflow: wf, ref: 'refs/heads/main', server: `${ghe}/` } });
    expect(allowed(p, cert(san('refs/heads/main', ghe)))).toBe(true);
    expect(allowed(p, cert(san('refs/heads/main', `${ghe}/`)))).toBe(false);
    expect(allowed(p, cert(san('refs/heads/main')))).toBe(false);
  });

  it("uses a workflow signer's own issuer when it names one", () => {
    const issuer = 'https://ghe.example.com/_services/token';
    const p = resolve({ r: { workflow: wf, issuer } });
    expect(allowed(p, cert(san('refs/heads/main'), issuer))).toBe(true);
    expect(allowed(p, cert(san('refs/heads/main')))).toBe(false);
  });

  it('needs Sigstore as soon as one keyless signer is allowed, even beside a key', () => {
    const mixed = resolve({ r: { workflow: wf }, k: { key_id: laptop.keyId } }, { update: ['r', 'k'] });
    expect(mixed.needsSigstore).toBe(true);
    expect(resolve({ k: { key_id: laptop.keyId } }).needsSigstore).toBe(false);
  });

  it.each([
    ['a server on a key signer', { key_id: laptop.keyId, server: 'https://ghe.example.com' }, 'server'],
    ['an @ in a ref', { workflow: wf, ref: 'refs/heads/main@evil' }, 'ref'],
    ['an @ in a workflow file name', { workflow: 'acme/app/.github/workflows/r@x.yml' }, 'workflow'],
    ['a workflow in a sub-folder', { workflow: 'acme/app/.github/workflows/sub/r.yml' }, 'workflow'],
  ])('refuses %s', (_name, signer, field) => {
    expect(problemsOf({ signers: { a: signer }, record: ['a'] }).join('\n')).toContain(
      `trust.signers.a.${field}`,
    );
  });
});

// GitHub owner and repository names are case-insensitive (cli/cli#9392: `gh attestation verify`
// matches them with `(?i)`): the scheme, host, OWNER and REPO of a workflow identity fold, ASCII
// only; the workflow path, the ref, the issuer and key ids stay exact.
describe('GitHub workflow identities, letter case', () => {
  const resolve = (signers: Record<string, unknown>) =>
    resolveTrustPolicy(parseTrustPolicy({ signers, record: Object.keys(signers) }, 'f'), {
      trustKeys: 'k' in signers ? [laptop.trusted] : [],
    });
  const allowed = (policy: ReturnType<typeof resolve>, signer: SignerIdentity) =>
    decideSigner(policy, 'record', signer).allowed;
  const gh = (path: string, host = 'https://github.com') => cert(`${host}/${path}`);
  const mixed = resolve({
    r: { workflow: 'Acme/App/.github/workflows/provenance.yml', ref: 'refs/heads/main' },
  });
  const lower = resolve({
    r: { workflow: 'acme/app/.github/workflows/provenance.yml', ref: 'refs/heads/main' },
  });

  it.each([
    [
      'a mixed-case policy, a lower-case SAN',
      mixed,
      'acme/app/.github/workflows/provenance.yml@refs/heads/main',
    ],
    [
      'a lower-case policy, a mixed-case SAN',
      lower,
      'Acme/App/.github/workflows/provenance.yml@refs/heads/main',
    ],
    [
      'a lower-case policy, an upper-case SAN',
      lower,
      'ACME/APP/.github/workflows/provenance.yml@refs/heads/main',
    ],
    [
      'names with the other characters GitHub allows',
      resolve({ r: { workflow: 'My-Org.X/App_1.js/.github/workflows/r.yml', ref: 'refs/heads/main' } }),
      'my-org.x/APP_1.JS/.github/workflows/r.yml@refs/heads/main',
    ],
  ])('accepts %s', (_name, policy, path) => {
    expect(allowed(policy, gh(path))).toBe(true);
  });

  it('folds the scheme and host too', () => {
    expect(
      allowed(lower, gh('acme/app/.github/workflows/provenance.yml@refs/heads/main', 'HTTPS://GitHub.com')),
    ).toBe(true);
    const ghe = resolve({
      r: {
        workflow: 'acme/app/.github/workflows/r.yml',
        ref: 'refs/heads/main',
        server: 'https://GHE.Example.com',
      },
    });
    expect(
      allowed(ghe, gh('ACME/app/.github/workflows/r.yml@refs/heads/main', 'https://ghe.example.com')),
    ).toBe(true);
    expect(allowed(ghe, gh('acme/app/.github/workflows/r.yml@refs/heads/main'))).toBe(false);
  });

  it.each([
    ['the workflow file in another case', 'acme/app/.github/workflows/Provenance.yml@refs/heads/main'],
    ['the workflow folder in another case', 'acme/app/.GitHub/workflows/provenance.yml@refs/heads/main'],
    ['the workflows folder in another case', 'acme/app/.github/Workflows/provenance.yml@refs/heads/main'],
    ['the branch in another case', 'acme/app/.github/workflows/provenance.yml@refs/heads/Main'],
    ['the ref prefix in another case', 'acme/app/.github/workflows/provenance.yml@refs/Heads/main'],
    ['another repository', 'acme/app2/.github/workflows/provenance.yml@refs/heads/main'],
    ['a SAN that ends inside the owner', 'Acm'],
    ['a SAN that ends at the host', ''],
  ])('refuses %s', (_name, path) => {
    expect(allowed(mixed, gh(path))).toBe(false);
    expect(allowed(lower, gh(path))).toBe(false);
  });

  it('refuses Unicode look-alikes that fold to ASCII outside ASCII (long s, Kelvin sign, dotted I)', () => {
    for (const workflow of ['acme/skit/.github/workflows/r.yml', 'ACME/SKIT/.github/workflows/r.yml']) {
      const p = resolve({ r: { workflow, ref: 'refs/heads/main' } });
      expect(allowed(p, gh('acme/skit/.github/workflows/r.yml@refs/heads/main'))).toBe(true);
      // U+017F LATIN SMALL LETTER LONG S: `toUpperCase()` gives S, a regex `iu` folds it to s
      expect(allowed(p, gh('acme/\u017Fkit/.github/workflows/r.yml@refs/heads/main'))).toBe(false);
      // U+212A KELVIN SIGN: `toLowerCase()` gives k
      expect(allowed(p, gh('acme/s\u212Ait/.github/workflows/r.yml@refs/heads/main'))).toBe(false);
      // U+0130 LATIN CAPITAL LETTER I WITH DOT ABOVE: `toLowerCase()` gives i + U+0307
      expect(allowed(p, gh('acme/sk\u0130t/.github/workflows/r.yml@refs/heads/main'))).toBe(false);
    }
  });

  it('applies the same rule to ref lists, wildcards and any ref', () => {
    const wild = resolve({
      r: { workflow: 'Acme/App/.github/workflows/r.yml', ref: ['refs/tags/v*', 'refs/heads/main'] },
    });
    expect(allowed(wild, gh('acme/app/.github/workflows/r.yml@refs/tags/v1.2.3'))).toBe(true);
    expect(allowed(wild, gh('ACME/APP/.github/workflows/r.yml@refs/heads/main'))).toBe(true);
    expect(allowed(wild, gh('acme/app/.github/workflows/r.yml@refs/tags/V1.2.3'))).toBe(false);
    expect(allowed(wild, gh('acme/app/.github/workflows/R.yml@refs/tags/v1.2.3'))).toBe(false);
    const any = resolve({ r: { workflow: 'Acme/App/.github/workflows/r.yml' } });
    expect(allowed(any, gh('acme/app/.github/workflows/r.yml@refs/heads/dev'))).toBe(true);
    expect(allowed(any, gh('acme/app/.github/workflows/r.yml@Refs/heads/dev'))).toBe(false);
    expect(allowed(any, gh('acme/app/.github/workflows/r.YML@refs/heads/dev'))).toBe(false);
  });

  it('keeps the path of a server exact; only its scheme and host fold', () => {
    const p = resolve({
      r: {
        workflow: 'acme/app/.github/workflows/r.yml',
        ref: 'refs/heads/main',
        server: 'https://example.com/GH',
      },
    });
    expect(allowed(p, gh('Acme/App/.github/workflows/r.yml@refs/heads/main', 'https://EXAMPLE.com/GH'))).toBe(
      true,
    );
    expect(allowed(p, gh('acme/app/.github/workflows/r.yml@refs/heads/main', 'https://example.com/gh'))).toBe(
      false,
    );
  });

  it('folds an exact identity that names a GitHub workflow, and nothing else of it', () => {
    const p = resolve({
      r: {
        issuer: GITHUB_ACTIONS_ISSUER,
        identity: 'https://github.com/Acme/App/.github/workflows/provenance.yml@refs/heads/main',
      },
    });
    expect(allowed(p, gh('acme/app/.github/workflows/provenance.yml@refs/heads/main'))).toBe(true);
    expect(allowed(p, gh('ACME/app/.github/workflows/provenance.yml@refs/heads/main'))).toBe(true);
    expect(allowed(p, gh('acme/app/.github/workflows/Provenance.yml@refs/heads/main'))).toBe(false);
    expect(allowed(p, gh('acme/app/.github/workflows/provenance.yml@refs/heads/MAIN'))).toBe(false);
    expect(allowed(p, gh('acme/app/.github/workflows/provenance.yml@refs/heads/main-x'))).toBe(false);
    expect(allowed(p, gh('acme/\u212App/.github/workflows/provenance.yml@refs/heads/main'))).toBe(false);
  });

  it('keeps the issuer, an identity_regex, a non-GitHub identity and key ids exact', () => {
    const san = 'https://github.com/acme/app/.github/workflows/provenance.yml@refs/heads/main';
    expect(allowed(lower, cert(san))).toBe(true);
    expect(allowed(lower, cert(san, 'https://Token.actions.githubusercontent.com'))).toBe(false);
    expect(allowed(lower, cert(san, 'HTTPS://token.actions.githubusercontent.com'))).toBe(false);
    const regex = resolve({
      r: {
        issuer: GITHUB_ACTIONS_ISSUER,
        identity_regex: 'https://github\\.com/acme/app/\\.github/workflows/.+',
      },
    });
    expect(allowed(regex, gh('acme/app/.github/workflows/r.yml@refs/heads/main'))).toBe(true);
    expect(allowed(regex, gh('Acme/App/.github/workflows/r.yml@refs/heads/main'))).toBe(false);
    const email = resolve({ r: { issuer: 'https://issuer.example', identity: 'Ops@Example.com' } });
    expect(allowed(email, cert('ops@example.com', 'https://issuer.example'))).toBe(false);
    const key = resolve({ k: { key_id: laptop.keyId } });
    expect(allowed(key, { kind: 'key', keyId: laptop.keyId })).toBe(true);
    expect(allowed(key, { kind: 'key', keyId: laptop.keyId.toUpperCase() })).toBe(false);
  });
});
