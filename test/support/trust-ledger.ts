// Signed ledgers for tests of src/core/ledger-trust: a small in-memory writer that does what the
// engine will do (merge rule, transition statement, signature, one commit appending one log line)
// and keeps every commit's before/after texts, so attacks can be written as further commits.
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { LedgerEntry } from '../../src/core/ledger/entry.js';
import { applyMergeRule, type ManifestDay } from '../../src/core/ledger/merge.js';
import {
  auditLedgerTrust,
  type TrustAuditResult,
  type TrustCommit,
  type TrustDay,
  type TrustWitness,
} from '../../src/core/ledger-trust/audit.js';
import type { TrustMaterial } from '../../src/core/ledger-trust/bundle-verify.js';
import {
  resolveTrustPolicy,
  type ResolvedTrustPolicy,
  type TrustPolicyDocument,
} from '../../src/core/ledger-trust/policy.js';
import {
  signTransition,
  signVsa,
  signChange,
  type BundleSigner,
  type LogTail,
} from '../../src/core/ledger-trust/sign.js';
import {
  appendLogLines,
  appendTarget,
  dayPathOfLog,
  logSegmentOf,
  type LogInput,
  type LogKind,
  type LogSegment,
} from '../../src/core/ledger-trust/storage.js';
import { buildTransitionStatement, type TransitionKind } from '../../src/core/ledger-trust/transition.js';
import { buildKeySignedBundle } from '../../src/core/provenance/bundle.js';
import { computePae } from '../../src/core/provenance/dsse.js';
import { computeKeyId } from '../../src/core/verify/key-id.js';
import type { TrustedPublicKey } from '../../src/core/verify/signature-key.js';
import type { InTotoStatement } from '../../src/core/verify/types.js';

export const LOCATION = { repository: 'acme/ledger', branch: 'ledger' } as const;

export interface TestKey {
  readonly signer: BundleSigner;
  readonly trusted: TrustedPublicKey;
  readonly keyId: string;
  readonly privateKey: KeyObject;
}

/** A key pair and a key-mode BundleSigner over it (what src/io/ledger-signer.ts builds from a PEM). */
export function makeTestKey(type: 'ed25519' | 'p256' = 'ed25519'): TestKey {
  const pair =
    type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyId = computeKeyId(pair.publicKey);
  return {
    keyId,
    privateKey: pair.privateKey,
    trusted: { keyObject: pair.publicKey, keyId },
    signer: {
      mode: 'key',
      keyId,
      signDsse: (payloadType, payload) =>
        Promise.resolve(
          buildKeySignedBundle({
            payloadType,
            payload,
            signature: sign(
              type === 'ed25519' ? null : 'sha256',
              computePae(payloadType, payload),
              pair.privateKey,
            ),
            keyId,
          }),
        ),
    },
  };
}

/** A policy naming key signers per kind (`{record: [k1], update: [k1], verdict: [k2]}`). */
export function keyPolicy(kinds: Partial<Record<TransitionKind, readonly TestKey[]>>): ResolvedTrustPolicy {
  const all = [...new Set(Object.values(kinds).flat())];
  const name = (k: TestKey) => `key-${all.indexOf(k)}`;
  const document: TrustPolicyDocument = {
    signers: Object.fromEntries(all.map((k) => [name(k), { key_id: k.keyId }])),
    record: (kinds.record ?? []).map(name),
    update: (kinds.update ?? []).map(name),
    verdict: (kinds.verdict ?? []).map(name),
  };
  return resolveTrustPolicy(document, { trustKeys: all.map((k) => k.trusted) });
}

export function keyMaterial(policy: ResolvedTrustPolicy, extra: readonly TestKey[] = []): TrustMaterial {
  const keys = new Map(policy.keys);
  for (const k of extra) keys.set(k.keyId, k.trusted);
  return { keys };
}

export interface WriteOptions {
  readonly writer?: 'record' | 'validate';
  /** sign as this kind whatever the merge made (attacks) */
  readonly kind?: TransitionKind;
  /** sign a VSA too and bind it (verdicts) */
  readonly vsa?: InTotoStatement;
  readonly vsaSigner?: BundleSigner;
  /** write the entry without a transition (--no-sign) */
  readonly unsigned?: boolean;
  readonly location?: { readonly repository: string; readonly branch: string };
  readonly time?: Date;
}

export interface WriteResult {
  readonly commit?: string;
  readonly kind?: TransitionKind;
  readonly path: string;
  readonly line?: string;
  readonly entry: LedgerEntry;
  readonly bundle?: unknown;
  readonly outcome: string;
}

/** An in-memory ledger: files by path, and every commit that changed them. */
export class SignedLedger {
  readonly files = new Map<string, string>();
  readonly history: TrustCommit[] = [];
  private n = 0;

  constructor(readonly location: { readonly repository: string; readonly branch: string } = LOCATION) {}

  manifestDays(): ManifestDay[] {
    return [...this.files]
      .filter(([p]) => p.endsWith('/manifest.json'))
      .map(([path, text]) => ({ path, entries: JSON.parse(text) as LedgerEntry[] }));
  }

  entry(tag: string, runId: number): LedgerEntry | undefined {
    for (const d of this.manifestDays()) {
      const e = d.entries.find((x) => x.tag === tag && x.run_id === runId);
      if (e !== undefined) return e;
    }
    return undefined;
  }

  /** One commit changing files (undefined deletes); returns its id. */
  commit(changes: Readonly<Record<string, string | undefined>>): string {
    this.n += 1;
    const id = this.n.toString(16).padStart(40, '0');
    this.history.push({
      commit: id,
      changes: Object.entries(changes).map(([path, after]) => ({
        path,
        ...(this.files.has(path) ? { before: this.files.get(path)! } : {}),
        ...(after === undefined ? {} : { after }),
      })),
    });
    for (const [path, after] of Object.entries(changes)) {
      if (after === undefined) this.files.delete(path);
      else this.files.set(path, after);
    }
    return id;
  }

  /** What record/flush/validate --record will do: merge, sign the change, one commit. */
  async write(incoming: LedgerEntry, signer: BundleSigner, options: WriteOptions = {}): Promise<WriteResult> {
    const result = applyMergeRule(this.manifestDays(), incoming);
    const file = result.files[0];
    if (file === undefined) return { path: result.path, entry: result.entry, outcome: result.outcome };
    if (options.unsigned === true) {
      const commit = this.commit({ [file.path]: file.text });
      return { commit, path: file.path, entry: result.entry, outcome: result.outcome };
    }
    const context = {
      actor: 'ledger-bot',
      run_id: 9000 + this.n,
      run_attempt: 1,
      workflow_ref: 'acme/app/.github/workflows/provenance.yml@refs/heads/main',
    };
    const time = options.time ?? new Date(Date.UTC(2025, 10, 24, 12, 0, this.n));
    const vsa =
      options.vsa === undefined ? undefined : await signVsa(options.vsa, options.vsaSigner ?? signer);
    if (options.kind === undefined) {
      // what the engine will do: signChange over the merge result
      const signed = (await signChange({
        merge: result,
        writer: options.writer ?? 'record',
        context,
        time,
        ledger: options.location ?? this.location,
        signer,
        log: this.tail(file.path, 'transitions'),
        ...(vsa === undefined ? {} : { vsa, vsaLog: this.tail(file.path, 'vsa') }),
      }))!;
      const commit = this.commit({ [file.path]: file.text, ...signed.files });
      return {
        commit,
        kind: signed.kind,
        path: file.path,
        line: signed.line,
        entry: result.entry,
        bundle: signed.bundle,
        outcome: result.outcome,
      };
    }
    // attacks: sign as another kind than the merge made
    const kind = options.kind;
    const changes: Record<string, string> = { [file.path]: file.text };
    if (vsa !== undefined) {
      const vsaLog = this.tail(file.path, 'vsa');
      changes[vsaLog.path] = appendLogLines(vsaLog.text, [vsa.line]);
    }
    const statement = buildTransitionStatement({
      kind,
      previous: result.previous ?? null,
      state: result.entry,
      writer: context,
      time,
      ledger: { ...(options.location ?? this.location), path: file.path },
      ...(vsa === undefined ? {} : { vsaSha256: vsa.payloadSha256 }),
    });
    const signed = await signTransition(statement, signer);
    const log = this.tail(file.path, 'transitions');
    changes[log.path] = appendLogLines(log.text, [signed.line]);
    const commit = this.commit(changes);
    return {
      commit,
      kind,
      path: file.path,
      line: signed.line,
      entry: result.entry,
      bundle: signed.bundle,
      outcome: result.outcome,
    };
  }

  /** Where a writer appends to a day's log now (the last segment, or the next once it is full). */
  tail(dayPath: string, kind: LogKind): LogTail {
    let last: { n: number; size: number; text: string } | undefined;
    for (const [path, text] of this.files) {
      const seg = logSegmentOf(path);
      if (seg?.day !== dayPath || seg.kind !== kind || (last !== undefined && last.n > seg.n)) continue;
      last = { n: seg.n, size: Buffer.byteLength(text), text };
    }
    return appendTarget(dayPath, kind, last);
  }

  /** The days at the head, as the audit takes them: a log that has one segment as its text. */
  days(): TrustDay[] {
    const paths = new Set<string>();
    for (const p of this.files.keys()) paths.add(p.endsWith('/manifest.json') ? p : (dayPathOfLog(p) ?? p));
    const logOf = (path: string, kind: LogKind): LogInput => {
      const segments: LogSegment[] = [];
      for (const [p, text] of this.files) {
        const seg = logSegmentOf(p);
        if (seg?.day === path && seg.kind === kind) segments.push({ path: p, n: seg.n, text });
      }
      if (segments.length === 0) return undefined;
      return segments.length === 1 && segments[0]!.n === 1 ? segments[0]!.text : segments;
    };
    return [...paths].map((path) => ({
      path,
      manifest: this.files.get(path),
      transitions: logOf(path, 'transitions'),
      vsa: logOf(path, 'vsa'),
    }));
  }

  /** The logs now, to be checked against later (a witness). */
  witness(): TrustWitness {
    return {
      commit: this.n.toString(16).padStart(40, '0'),
      logs: [...this.files].filter(([p]) => p.endsWith('.jsonl')).map(([path, text]) => ({ path, text })),
    };
  }

  audit(
    policy: ResolvedTrustPolicy,
    material: TrustMaterial,
    extra: { history?: boolean; witness?: TrustWitness; location?: boolean } = {},
  ): TrustAuditResult {
    return auditLedgerTrust({
      days: this.days(),
      policy,
      material,
      ...(extra.location === false ? {} : { location: this.location }),
      ...(extra.history === false ? {} : { history: this.history }),
      ...(extra.witness === undefined ? {} : { witness: extra.witness }),
    });
  }
}

/** A VSA statement as src/core/vsa will build it (the fields issue 14 item 3 lists). */
export function makeVsa(entry: LedgerEntry, result: 'PASSED' | 'FAILED' = 'PASSED'): InTotoStatement {
  return {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: 'app.tgz', digest: { sha256: 'c'.repeat(64) } }],
    predicateType: 'https://slsa.dev/verification_summary/v1',
    predicate: {
      verifier: { id: 'https://github.com/acme/app/.github/workflows/validate.yml' },
      timeVerified: entry.validation?.validated_at ?? '2025-11-24T12:30:00Z',
      resourceUri: entry.artifact_url,
      policy: {
        uri: 'https://github.com/acme/app/blob/main/.slsa-ledger.yml',
        digest: { sha256: 'd'.repeat(64) },
      },
      inputAttestations: [{ uri: 'provenance.sigstore.json', digest: { sha256: 'e'.repeat(64) } }],
      verificationResult: result,
      verifiedLevels: result === 'PASSED' ? ['SLSA_BUILD_LEVEL_3'] : [],
    },
  };
}
