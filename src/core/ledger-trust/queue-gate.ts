// The authenticated queue (issue 14 item 6, DESIGN.md §7): `flush` replays a queued entry only
// when the signed statement queued with it verifies under the trust policy. Anyone can push to the
// queue branch; nobody without a trusted signature can get an entry landed through it. Pure: the
// engine gives the item, the key's current state at the fetched head and the trust material.
import { createHash } from 'node:crypto';
import { ConflictError } from '../../errors.js';
import { manifestPathFor, type LedgerEntry } from '../ledger/entry.js';
import { applyMergeRule, compareTimestamps } from '../ledger/merge.js';
import type { SignerIdentity } from '../verify/types.js';
import { vsaResult } from './audit.js';
import { verifyStoredBundle, type TrustMaterial } from './bundle-verify.js';
import { checkTransitionChange } from './change-rules.js';
import { decideSigner, describeSigner, type ResolvedTrustPolicy } from './policy.js';
import { serializeLogLine } from './storage.js';
import { entryDigest, sameLedger, type TransitionKind, type TransitionStatement } from './transition.js';
import { parseTransitionStatement } from './transition-parse.js';

/** A queued item as flush sees it: the entry to land and the bundle signed when it was queued. */
export interface QueuedTransition {
  readonly entry: LedgerEntry;
  /** the Sigstore bundle of the transition statement (absent on items queued unsigned) */
  readonly transition?: unknown;
  /** a verdict's signed VSA, which the transition names by its payload digest */
  readonly vsa?: unknown;
}

export interface QueueGateInput {
  readonly item: QueuedTransition;
  /** the key's state at the fetched head and the day file holding it; undefined for a new key */
  readonly current: { readonly entry: LedgerEntry; readonly path: string } | undefined;
  readonly policy: ResolvedTrustPolicy;
  readonly material: TrustMaterial;
  readonly location?: { readonly repository: string; readonly branch: string };
  readonly reportsDir?: string;
}

export type QueueDecision =
  /** the signed state follows the head's state: land it as signed and append `line` to the day's transitions log */
  | {
      readonly kind: 'land';
      readonly entry: LedgerEntry;
      readonly path: string;
      readonly transitionKind: TransitionKind;
      readonly line: string;
      readonly signer: string;
      /** a verdict's VSA line for the day's `vsa.jsonl` */
      readonly vsaLine?: string;
    }
  /**
   * the ledger moved on since the item was signed: merge it onto the head's state and sign that
   * change with flush's own signer (whom the policy must allow for `transitionKind`)
   */
  | {
      readonly kind: 'rebase';
      readonly entry: LedgerEntry;
      readonly previous: LedgerEntry | null;
      readonly path: string;
      readonly transitionKind: TransitionKind;
      /** the statement that authorised it: its signer and subject digest, for the log and the output */
      readonly authorizedBy: { readonly signer: string; readonly sha256: string };
      /** a verdict's verified VSA bundle, bound again by flush's own statement */
      readonly vsa?: unknown;
    }
  /** the head already holds the signed state, or a newer one (stale): remove the item, write nothing */
  | { readonly kind: 'landed'; readonly outcome: 'unchanged' | 'stale' }
  /** the merge rule refuses it (`LEDGER_CONFLICT`): leave it, as flush does with conflicts */
  | { readonly kind: 'conflict'; readonly error: ConflictError }
  /** `FLUSH_ENTRY_UNTRUSTED`: report it and leave it where it is */
  | { readonly kind: 'untrusted'; readonly code: 'FLUSH_ENTRY_UNTRUSTED'; readonly reason: string };

/**
 * Whether a queued state signed against another state than the head's is as old as the head's: the
 * same `timestamp` (a verdict: the same `validation.validated_at`, its timestamp being the entry's
 * own). Such a state is concurrent with the head's, and the clock cannot order them; the merge rule
 * would take it as an update, so the earlier of two same-second states (its bundle copied from the
 * ledger's own log onto the queue branch) would roll the run back, re-signed by flush. At a tie the
 * state the ledger holds wins. A state signed against the head's own state follows it in the hash
 * chain and lands whatever the clock says (the `land` case): the chain, not the timestamp, orders it.
 */
function isSameSecondAsHead(kind: TransitionKind, head: LedgerEntry, incoming: LedgerEntry): boolean {
  if (kind === 'verdict') {
    const a = incoming.validation?.validated_at;
    const b = head.validation?.validated_at;
    return a !== undefined && b !== undefined && compareTimestamps(a, b) === 0;
  }
  return compareTimestamps(incoming.timestamp, head.timestamp) === 0;
}

function untrusted(reason: string): QueueDecision {
  return { kind: 'untrusted', code: 'FLUSH_ENTRY_UNTRUSTED', reason };
}

/**
 * Decides what flush may do with one queued item: land it as signed, rebase it (sign anew), drop
 * it as landed, leave it as a conflict, or leave it as untrusted. Untrusted: no signed statement;
 * a signature that does not verify; a statement about another state, day file or ledger; a signer
 * the policy does not allow for the kind; or a change the kind may not make (a record or update
 * carrying a `validation` block, a verdict changing anything but the verdict).
 */
export function decideQueuedTransition(input: QueueGateInput): QueueDecision {
  const { item, current, policy, material, location } = input;
  const name = `${item.entry.tag} run ${item.entry.run_id}`;
  if (item.transition === undefined) return untrusted(`${name} was queued without a signed statement`);
  const verified = verifyStoredBundle(item.transition, material);
  if (!verified.ok) return untrusted(`${name}: ${verified.message}`);
  let st: TransitionStatement;
  try {
    st = parseTransitionStatement(verified.payload, `queued ${name}`);
  } catch (error) {
    return untrusted((error as Error).message);
  }
  const p = st.predicate;
  if (
    p.entry.tag !== item.entry.tag ||
    p.entry.run_id !== item.entry.run_id ||
    st.subject[0].digest.sha256 !== entryDigest(item.entry)
  ) {
    return untrusted(`${name}: the signed statement is about another state than the queued entry`);
  }
  const path = current?.path ?? manifestPathFor(item.entry, input.reportsDir);
  if (p.ledger.path !== path)
    return untrusted(`${name}: signed for ${p.ledger.path}, but the entry lives in ${path}`);
  if (location !== undefined && !sameLedger(p.ledger, location)) {
    return untrusted(
      `${name}: signed for ${p.ledger.repository} branch ${p.ledger.branch}, not ${location.repository} branch ${location.branch}`,
    );
  }
  const signer: SignerIdentity = verified.signer;
  const allowed = decideSigner(policy, p.kind, signer);
  if (!allowed.allowed) return untrusted(`${name}: ${allowed.reason}`);
  // a verdict that names a VSA lands only with it: verified, signed by a verdict signer, the one
  // named, and saying what the verdict says (as check's audit requires of vsa.jsonl)
  if (p.vsa === undefined && item.vsa !== undefined)
    return untrusted(`${name}: a VSA was queued with a statement that names none`);
  if (p.vsa !== undefined) {
    if (item.vsa === undefined)
      return untrusted(
        `${name}: the verdict names VSA ${p.vsa.sha256.slice(0, 12)}…, which was not queued with it`,
      );
    const vsa = verifyStoredBundle(item.vsa, material);
    if (!vsa.ok) return untrusted(`${name}: its VSA: ${vsa.message}`);
    const vsaSigner = decideSigner(policy, 'verdict', vsa.signer);
    if (!vsaSigner.allowed) return untrusted(`${name}: its VSA: ${vsaSigner.reason}`);
    if (createHash('sha256').update(vsa.payload).digest('hex') !== p.vsa.sha256)
      return untrusted(`${name}: the queued VSA is not the one its verdict names`);
    const expected = item.entry.validation?.status === 'passed' ? 'PASSED' : 'FAILED';
    const result = vsaResult(vsa.payload);
    if (result !== expected)
      return untrusted(
        `${name}: the verdict says ${item.entry.validation?.status ?? 'nothing'}, but its VSA says ${result ?? 'nothing'}`,
      );
  }

  const currentDigest = current === undefined ? null : entryDigest(current.entry);
  if (currentDigest === st.subject[0].digest.sha256) return { kind: 'landed', outcome: 'unchanged' };
  if ((p.previous?.sha256 ?? null) === currentDigest) {
    const violation = checkTransitionChange(p.kind, current?.entry ?? null, item.entry);
    if (violation !== undefined) return untrusted(`${name}: ${violation.message}`);
    return {
      kind: 'land',
      entry: item.entry,
      path,
      transitionKind: p.kind,
      line: serializeLogLine(item.transition),
      signer: describeSigner(signer),
      ...(p.vsa === undefined ? {} : { vsaLine: serializeLogLine(item.vsa) }),
    };
  }

  // The head moved since the item was signed. A verdict brings only its verdict; anything else is
  // merged as the merge rule merges it. The signer's authority must cover the change made now.
  const incoming: LedgerEntry =
    p.kind === 'verdict' && current !== undefined
      ? { ...current.entry, governance_flag: item.entry.governance_flag!, validation: item.entry.validation! }
      : item.entry;
  let merged: LedgerEntry;
  try {
    const result = applyMergeRule(
      current === undefined ? [] : [{ path, entries: [current.entry] }],
      incoming,
      {
        ...(input.reportsDir === undefined ? {} : { reportsDir: input.reportsDir }),
      },
    );
    if (result.outcome === 'stale' || result.outcome === 'unchanged')
      return { kind: 'landed', outcome: result.outcome };
    merged = result.entry;
  } catch (error) {
    if (error instanceof ConflictError) return { kind: 'conflict', error };
    throw error;
  }
  const kind: TransitionKind = current === undefined ? 'record' : p.kind === 'verdict' ? 'verdict' : 'update';
  const allowedNow = decideSigner(policy, kind, signer);
  if (!allowedNow.allowed)
    return untrusted(
      `${name}: rebased onto the head it becomes a${kind === 'update' ? 'n' : ''} ${kind}: ${allowedNow.reason}`,
    );
  const violation = checkTransitionChange(kind, current?.entry ?? null, merged);
  if (violation !== undefined) return untrusted(`${name}: ${violation.message}`);
  if (current !== undefined && isSameSecondAsHead(p.kind, current.entry, incoming))
    return { kind: 'landed', outcome: 'stale' };
  return {
    kind: 'rebase',
    entry: merged,
    previous: current?.entry ?? null,
    path,
    transitionKind: kind,
    authorizedBy: { signer: describeSigner(signer), sha256: st.subject[0].digest.sha256 },
    ...(kind === 'verdict' && p.vsa !== undefined ? { vsa: item.vsa } : {}),
  };
}
