// The trust policy (issue 14 item 4, DESIGN.md §7, docs/trust.md "The trust policy"): which signers
// may make which kind of transition. Written in `.slsa-ledger.yml` under `trust:` (the checker's
// own copy, never the ledger ref being checked), plus `--trust-key PUB` (repeatable). Parsed
// strictly (unknown keys refused, every problem listed); evaluated purely.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { SlsaLedgerError } from '../../errors.js';
import type { TrustedPublicKey } from '../verify/signature-key.js';
import type { SignerIdentity } from '../verify/types.js';
import { transitionKinds, type TransitionKind } from './transition.js';

/** GitHub Actions' OIDC issuer: the default of a `workflow:` signer. */
export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';
export const DEFAULT_GITHUB_SERVER = 'https://github.com';

/** One signer as written in the policy file. */
export interface SignerSpec {
  /** keyless: the OIDC issuer of the certificate (Fulcio extension 1.3.6.1.4.1.57264.1.8) */
  readonly issuer?: string;
  /**
   * keyless: the certificate identity (SAN), exactly — but for a GitHub workflow identity
   * (`https://HOST/OWNER/REPO/.github/workflows/…@…`), whose scheme, host, owner and repository
   * compare ASCII-case-insensitively
   */
  readonly identity?: string;
  /** keyless: a regular expression the whole SAN must match (as written: case-sensitively) */
  readonly identity_regex?: string;
  /**
   * keyless, GitHub Actions: `OWNER/REPO/.github/workflows/FILE.yml`; the SAN is
   * `<server>/<workflow>@<ref>` (the server's scheme and host and `OWNER/REPO` in any ASCII case)
   */
  readonly workflow?: string;
  /**
   * with `workflow`: the refs allowed — one or a list, each a full ref (`refs/heads/main`) where `*`
   * stands for any run of characters (`refs/tags/v*`); any ref when absent
   */
  readonly ref?: string | readonly string[];
  /** with `workflow`: the GitHub server (default https://github.com) */
  readonly server?: string;
  /** key mode: a PEM public key file (relative to the policy file) */
  readonly key?: string;
  /** key mode: a key id (hex SHA-256 of the SPKI DER) whose key is given with --trust-key */
  readonly key_id?: string;
}

/** The `trust:` section as written. */
export interface TrustPolicyDocument {
  readonly signers: Readonly<Record<string, SignerSpec>>;
  readonly record: readonly string[];
  readonly update: readonly string[];
  readonly verdict: readonly string[];
}

/** A signer the policy knows, resolved: key ids computed, patterns compiled. */
export type SignerRule =
  | { readonly kind: 'key'; readonly name: string; readonly keyId: string }
  | {
      readonly kind: 'keyless';
      readonly name: string;
      readonly issuer: string;
      /** what the SAN must be: exactly `exact`, or a full match of `pattern` */
      readonly exact?: string;
      readonly pattern?: RegExp;
      /**
       * a GitHub workflow identity: the spans (`[start, end)`, UTF-16 offsets) of the SAN that are
       * compared ASCII-case-insensitively — the scheme and host, and `OWNER/REPO`; `exact` and
       * `pattern` hold those spans lower-cased and everything else as written
       */
      readonly caseInsensitiveSpans?: readonly (readonly [number, number])[];
    };

/** The policy the audit evaluates. */
export interface ResolvedTrustPolicy {
  readonly signers: readonly SignerRule[];
  /** per kind, the signers allowed to make it */
  readonly allowed: Readonly<Record<TransitionKind, readonly SignerRule[]>>;
  /** the public keys of the key-mode signers, by key id (parsed once) */
  readonly keys: ReadonlyMap<string, TrustedPublicKey>;
  /** true when at least one keyless signer is allowed (the caller must load Sigstore trust) */
  readonly needsSigstore: boolean;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const WORKFLOW = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/\.github\/workflows\/[^/@\s]+\.ya?ml$/;
const REF = /^refs\/[^\s@]+$/;
const refPattern = z
  .string()
  .max(256)
  .regex(REF, 'must be a full git ref such as refs/heads/main or refs/tags/v*');
const httpsUrl = z
  .string()
  .max(1024)
  .regex(/^https:\/\/[^\s]+$/, 'must be an https url');
const nonEmpty = (max: number) => z.string().min(1, 'must not be empty').max(max);

const signerSchema = z
  .strictObject({
    issuer: httpsUrl.optional(),
    identity: nonEmpty(1024).optional(),
    identity_regex: nonEmpty(1024).optional(),
    workflow: z.string().regex(WORKFLOW, 'must be OWNER/REPO/.github/workflows/FILE.yml').optional(),
    ref: z.union([refPattern, z.array(refPattern).min(1, 'must name at least one ref').max(20)]).optional(),
    server: httpsUrl.optional(),
    key: nonEmpty(4096).optional(),
    key_id: z.string().regex(HEX64, 'must be 64 lower-case hex (the key id keygen prints)').optional(),
  })
  .superRefine((s, ctx) => {
    const keyless = [s.identity, s.identity_regex, s.workflow].filter((v) => v !== undefined).length;
    const keyed = [s.key, s.key_id].filter((v) => v !== undefined).length;
    if (keyless + keyed !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          'a signer needs exactly one of identity, identity_regex, workflow (keyless) or key, key_id (key mode)',
      });
      return;
    }
    if (keyed === 1 && s.issuer !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['issuer'], message: 'a key-mode signer has no issuer' });
    }
    if (s.workflow === undefined && (s.ref !== undefined || s.server !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [s.ref !== undefined ? 'ref' : 'server'],
        message: 'only a workflow signer takes ref and server',
      });
    }
    if ((s.identity !== undefined || s.identity_regex !== undefined) && s.issuer === undefined) {
      ctx.addIssue({ code: 'custom', path: ['issuer'], message: 'a keyless signer needs its oidc issuer' });
    }
    if (s.identity_regex !== undefined) {
      try {
        new RegExp(s.identity_regex, 'u');
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          path: ['identity_regex'],
          message: `not a regular expression: ${(error as Error).message}`,
        });
      }
    }
  });

const nameList = z.array(z.string().regex(NAME, 'must be a signer name')).max(100).default([]);

const documentSchema = z
  .strictObject({
    signers: z
      .record(z.string().regex(NAME), signerSchema)
      .refine((r) => Object.keys(r).length <= 100, 'at most 100 signers'),
    record: nameList,
    update: nameList,
    verdict: nameList,
  })
  .superRefine((doc, ctx) => {
    for (const kind of transitionKinds) {
      for (const [i, name] of doc[kind].entries()) {
        if (!(name in doc.signers)) {
          ctx.addIssue({
            code: 'custom',
            path: [kind, i],
            message: `names no signer: '${name}' is not under signers`,
          });
        }
      }
    }
    if (transitionKinds.every((k) => doc[k].length === 0)) {
      ctx.addIssue({
        code: 'custom',
        message: 'the policy allows no signer for any kind (record, update, verdict)',
      });
    }
  });

function policyError(source: string, problems: readonly string[]): SlsaLedgerError {
  return new SlsaLedgerError(
    'TRUST_POLICY_INVALID',
    `${source}: ${problems[0] ?? 'invalid trust policy'}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`,
    { details: { source, problems } },
  );
}

/**
 * Parses the `trust:` section (already read from YAML). Every problem is listed.
 * @param source names the file in messages (`.slsa-ledger.yml`)
 * @throws SlsaLedgerError `TRUST_POLICY_INVALID` (exit 2) with `details.problems`
 */
export function parseTrustPolicy(value: unknown, source: string): TrustPolicyDocument {
  const parsed = documentSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const path = ['trust', ...issue.path.map(String)].join('.');
      const message =
        issue.code === 'invalid_key'
          ? 'signer names are letters, digits, _, . and - (at most 64)'
          : issue.message.replace(/^Invalid input: /, '').toLowerCase();
      return `${path}: ${message}`;
    });
    throw policyError(source, problems);
  }
  return parsed.data as TrustPolicyDocument;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface ResolveTrustPolicyOptions {
  /** the public keys of `key:` signers, by the path written in the policy (loaded by the caller) */
  readonly keyFiles?: ReadonlyMap<string, TrustedPublicKey>;
  /** `--trust-key PUB`, repeatable */
  readonly trustKeys?: readonly TrustedPublicKey[];
  readonly source?: string;
}

/**
 * Resolves a policy for evaluation. Without a document, every `--trust-key` may make every kind of
 * transition; with one, `--trust-key` only supplies the keys its `key_id` signers name, and a key
 * it does not name is refused (a policy is meant to be the whole truth).
 * @throws SlsaLedgerError `TRUST_POLICY_INVALID` (a key id without its key, a stray --trust-key, no policy at all)
 */
export function resolveTrustPolicy(
  document: TrustPolicyDocument | undefined,
  options: ResolveTrustPolicyOptions = {},
): ResolvedTrustPolicy {
  const source = options.source ?? 'trust policy';
  const trustKeys = options.trustKeys ?? [];
  const keys = new Map<string, TrustedPublicKey>();
  for (const k of trustKeys) keys.set(k.keyId, k);
  if (document === undefined) {
    if (trustKeys.length === 0) {
      throw policyError(source, [
        'no trust policy: add a trust: section to .slsa-ledger.yml or pass --trust-key PUB',
      ]);
    }
    const rules: SignerRule[] = [...keys.keys()].map((keyId) => ({
      kind: 'key',
      name: `--trust-key ${keyId.slice(0, 12)}`,
      keyId,
    }));
    return {
      signers: rules,
      allowed: { record: rules, update: rules, verdict: rules },
      keys,
      needsSigstore: false,
    };
  }
  const problems: string[] = [];
  const rules = new Map<string, SignerRule>();
  const named = new Set<string>();
  for (const [name, spec] of Object.entries(document.signers)) {
    if (spec.key !== undefined) {
      const key = options.keyFiles?.get(spec.key);
      if (key === undefined) {
        problems.push(`trust.signers.${name}.key: the key file ${spec.key} was not loaded`);
        continue;
      }
      keys.set(key.keyId, key);
      named.add(key.keyId);
      rules.set(name, { kind: 'key', name, keyId: key.keyId });
    } else if (spec.key_id !== undefined) {
      named.add(spec.key_id);
      if (!keys.has(spec.key_id)) {
        problems.push(
          `trust.signers.${name}.key_id: no --trust-key gives the key ${spec.key_id.slice(0, 12)}…`,
        );
        continue;
      }
      rules.set(name, { kind: 'key', name, keyId: spec.key_id });
    } else if (spec.workflow !== undefined) {
      const server = (spec.server ?? DEFAULT_GITHUB_SERVER).replace(/\/+$/, '');
      const ownerRepo = spec.workflow.split('/', 2).join('/');
      const spans = githubSpans(server, ownerRepo);
      const base = foldSpans(`${server}/${spec.workflow}@`, spans);
      rules.set(name, {
        kind: 'keyless',
        name,
        issuer: spec.issuer ?? GITHUB_ACTIONS_ISSUER,
        ...workflowIdentity(base, spec.ref),
        caseInsensitiveSpans: spans,
      });
    } else if (spec.identity !== undefined) {
      const github = GITHUB_WORKFLOW_IDENTITY.exec(spec.identity);
      const spans = github === null ? undefined : githubSpans(github[1]!, github[2]!);
      rules.set(name, {
        kind: 'keyless',
        name,
        issuer: spec.issuer!,
        ...(spans === undefined
          ? { exact: spec.identity }
          : { exact: foldSpans(spec.identity, spans), caseInsensitiveSpans: spans }),
      });
    } else {
      rules.set(name, {
        kind: 'keyless',
        name,
        issuer: spec.issuer!,
        pattern: new RegExp(`^(?:${spec.identity_regex!})$`, 'u'),
      });
    }
  }
  for (const k of trustKeys) {
    if (!named.has(k.keyId)) {
      problems.push(
        `--trust-key ${k.keyId.slice(0, 12)}… is not named by the trust policy: add a signer with key_id ${k.keyId} and list it under the kinds it may sign`,
      );
    }
  }
  if (problems.length > 0) throw policyError(source, problems);
  const allowedFor = (kind: TransitionKind): SignerRule[] =>
    document[kind].map((n) => rules.get(n)).filter((r): r is SignerRule => r !== undefined);
  const allowed = {
    record: allowedFor('record'),
    update: allowedFor('update'),
    verdict: allowedFor('verdict'),
  };
  const needsSigstore = transitionKinds.some((k) => allowed[k].some((r) => r.kind === 'keyless'));
  return { signers: [...rules.values()], allowed, keys, needsSigstore };
}

/**
 * True when the rule names this signer. The issuer is compared exactly, as sigstore-go compares
 * the Fulcio issuer extension (pkg/fulcio/certificate CompareExtensions: `!=`); key ids exactly.
 */
export function signerMatches(rule: SignerRule, signer: SignerIdentity): boolean {
  if (rule.kind === 'key') return signer.kind === 'key' && signer.keyId === rule.keyId;
  if (signer.kind !== 'certificate' || signer.issuer !== rule.issuer) return false;
  const san =
    rule.caseInsensitiveSpans === undefined
      ? signer.subjectAlternativeName
      : foldSpans(signer.subjectAlternativeName, rule.caseInsensitiveSpans);
  if (rule.exact !== undefined) return san === rule.exact;
  return rule.pattern!.test(san);
}

// GitHub owner and repository names are case-insensitive ASCII (`[A-Za-z0-9_.-]`: two repositories
// cannot differ only in case), and a URL's scheme and host are case-insensitive (RFC 3986 §3.1,
// §3.2.2), so a policy naming `Acme/App` must accept the certificate GitHub issues for `acme/app`.
// `gh attestation verify` matches `--owner`/`--repo`/`--signer-repo` with a `(?i)` regex for the
// same reason (cli/cli#9392, "handle attest case insensitivity"; pkg/cmd/attestation/verify/policy.go;
// our core/verify/github-policy.ts). Only those parts fold: the workflow path and the `@ref` are
// case-sensitive in git and stay exact, and the fold is ASCII A-Z to a-z only — never
// `toLowerCase()`, `toUpperCase()` or a regex `i` flag, which map the Kelvin sign `K` to `k` and
// (`iu`) the long s `ſ` to `s`, so a look-alike name would match. The spans are the rule's own (from
// the policy text), never parsed out of the certificate, so a SAN cannot move them.

/** `https://HOST[:PORT]/OWNER/REPO/.github/workflows/FILE@REF`: an `identity:` that names a GitHub workflow. */
const GITHUB_WORKFLOW_IDENTITY =
  /^(https:\/\/[A-Za-z0-9.-]+(?::[0-9]{1,5})?)\/([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+)\/\.github\/workflows\/[^\s@]+@\S+$/;

/** The case-insensitive spans of `<server>/<OWNER/REPO>…`: the server's scheme and host (not a path it may have), and OWNER/REPO. */
function githubSpans(server: string, ownerRepo: string): readonly (readonly [number, number])[] {
  const pathStart = server.indexOf('/', server.indexOf('://') + 3);
  const originEnd = pathStart === -1 ? server.length : pathStart;
  return [
    [0, originEnd],
    [server.length + 1, server.length + 1 + ownerRepo.length],
  ];
}

/** ASCII A-Z to a-z inside the spans; every other character (and all of it outside) as it is. */
function foldSpans(text: string, spans: readonly (readonly [number, number])[]): string {
  let out = '';
  let at = 0;
  for (const [start, end] of spans) {
    if (start >= text.length) break;
    out += text.slice(at, start) + text.slice(start, end).replace(/[A-Z]+/g, (run) => run.toLowerCase());
    at = Math.min(end, text.length);
  }
  return out + text.slice(at);
}

/** How a signer is named in findings: the key id or `issuer` + SAN. */
export function describeSigner(signer: SignerIdentity): string {
  return signer.kind === 'key'
    ? `key ${signer.keyId.slice(0, 12)}…`
    : `${signer.subjectAlternativeName} (issuer ${signer.issuer})`;
}

export type SignerDecision =
  | { readonly allowed: true; readonly rule: SignerRule }
  | { readonly allowed: false; readonly reason: string };

/** Whether the policy allows `signer` to make a transition of `kind`. */
export function decideSigner(
  policy: ResolvedTrustPolicy,
  kind: TransitionKind,
  signer: SignerIdentity,
): SignerDecision {
  const rule = policy.allowed[kind].find((r) => signerMatches(r, signer));
  if (rule !== undefined) return { allowed: true, rule };
  const other = transitionKinds.filter(
    (k) => k !== kind && policy.allowed[k].some((r) => signerMatches(r, signer)),
  );
  const known = policy.signers.find((r) => signerMatches(r, signer));
  const reason =
    other.length > 0
      ? `${describeSigner(signer)} may sign ${other.join(', ')} but not ${kind}`
      : known !== undefined
        ? `${describeSigner(signer)} (signer ${known.name}) is not allowed any kind`
        : `${describeSigner(signer)} is not a signer of the trust policy`;
  return { allowed: false, reason };
}

/**
 * What a workflow signer's SAN must be: `<server>/<workflow>@<ref>` for one of the allowed refs
 * (`*` in a ref: any run of characters but whitespace and `@`), or any `refs/…` ref.
 */
function workflowIdentity(
  base: string,
  ref: string | readonly string[] | undefined,
): { exact: string } | { pattern: RegExp } {
  if (ref === undefined) return { pattern: new RegExp(`^${escapeRegExp(base)}refs/[^\\s@]+$`, 'u') };
  const refs = typeof ref === 'string' ? [ref] : ref;
  if (refs.length === 1 && !refs[0]!.includes('*')) return { exact: `${base}${refs[0]!}` };
  const alternatives = refs.map((r) => r.split('*').map(escapeRegExp).join('[^\\s@]*'));
  return { pattern: new RegExp(`^${escapeRegExp(base)}(?:${alternatives.join('|')})$`, 'u') };
}

/**
 * A digest of what a policy allows (each signer's rule, the signers allowed per kind): `check`'s
 * witness remembers the head it audited under a policy by it, so that a later audit under another
 * policy, or after a run without one, reads the whole history again (docs/ledger.md "The witness").
 */
export function trustPolicyDigest(policy: ResolvedTrustPolicy): string {
  const rule = (r: SignerRule): unknown[] =>
    r.kind === 'key'
      ? ['key', r.name, r.keyId]
      : [
          'keyless',
          r.name,
          r.issuer,
          r.exact ?? null,
          r.pattern === undefined ? null : [r.pattern.source, r.pattern.flags],
          r.caseInsensitiveSpans ?? [],
        ];
  const allowed = Object.keys(policy.allowed)
    .sort()
    .map((kind) => [kind, (policy.allowed[kind as TransitionKind] ?? []).map(rule)]);
  return createHash('sha256')
    .update(JSON.stringify({ signers: policy.signers.map(rule), allowed }))
    .digest('hex');
}
