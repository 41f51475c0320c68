// What each transition kind may change (docs/trust.md "What each kind may change"). The merge rule
// of the ledger (src/core/ledger/merge.ts) decides what any change may do to an existing key; on
// top of it, only a verdict may touch `validation` or set the verdict's flags, and a verdict may
// touch nothing else. Without the second part the trust policy's "who may give verdicts" would
// mean nothing: a record or an update could carry a `validation` block of its own.
import { ConflictError } from '../../errors.js';
import type { LedgerEntry } from '../ledger/entry.js';
import { applyMergeRule, verdictFlags } from '../ledger/merge.js';
import { canonicalEntryText, type TransitionKind } from './transition.js';

/** The flags only a verdict may set. */
export { verdictFlags };

export interface ChangeViolation {
  /** `merge-rule`: no merge could have made this state (history rewritten); `kind-exceeded`: the kind may not make this change */
  readonly rule: 'merge-rule' | 'kind-exceeded';
  readonly message: string;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Checks the change `previous` → `next` against the merge rule: `applyMergeRule` applied to the
 * previous state with the next state as the incoming entry must give exactly the next state (the
 * merge rule is idempotent on its own results, so every state it made passes). A different
 * `sha`/`actor`/`release_url`, an older timestamp, a shrunk `governance_history` or a dropped
 * `provenance` cannot come out of it.
 */
export function checkMergeRule(previous: LedgerEntry, next: LedgerEntry): ChangeViolation | undefined {
  let merged: LedgerEntry;
  try {
    const result = applyMergeRule([{ path: 'previous', entries: [previous] }], next);
    if (result.outcome === 'stale') {
      return {
        rule: 'merge-rule',
        message: `the timestamp went back from ${previous.timestamp} to ${next.timestamp}: the merge rule keeps the newer state`,
      };
    }
    merged = result.entry;
  } catch (error) {
    if (error instanceof ConflictError) {
      const fields = ((error.details?.conflicts ?? []) as { field: string }[]).map((c) => c.field);
      return {
        rule: 'merge-rule',
        message: `the change rewrites ${fields.join(', ')} of an existing run: the merge rule refuses that`,
      };
    }
    throw error;
  }
  if (canonicalEntryText(merged) !== canonicalEntryText(next)) {
    return {
      rule: 'merge-rule',
      message:
        'the new state is not what the merge rule makes of the previous one (history or a tool-written block was dropped or rewritten)',
    };
  }
  return undefined;
}

function withoutVerdictFields(entry: LedgerEntry): LedgerEntry {
  const { validation: _v, governance_flag: _f, governance_history: _h, metrics, ...rest } = entry;
  if (metrics === undefined) return rest;
  const { lock_wait_s: _l, ...otherMetrics } = metrics;
  return Object.keys(otherMetrics).length === 0 ? rest : { ...rest, metrics: otherMetrics };
}

/**
 * Checks that a change of the given kind may make `previous` → `next` (same key; `previous` null
 * only for a record). Returns the first violation, or undefined.
 */
export function checkTransitionChange(
  kind: TransitionKind,
  previous: LedgerEntry | null,
  next: LedgerEntry,
): ChangeViolation | undefined {
  const flagChanged = next.governance_flag !== previous?.governance_flag;
  const setsVerdictFlag =
    flagChanged && next.governance_flag !== undefined && verdictFlags.includes(next.governance_flag);
  if (kind === 'record' || kind === 'update') {
    if (previous !== null) {
      const merge = checkMergeRule(previous, next);
      if (merge !== undefined) return merge;
    }
    if (!same(previous?.validation, next.validation)) {
      return {
        rule: 'kind-exceeded',
        message: `a${kind === 'update' ? 'n' : ''} ${kind} may not set or change validation: only a verdict may`,
      };
    }
    if (setsVerdictFlag) {
      return {
        rule: 'kind-exceeded',
        message: `a${kind === 'update' ? 'n' : ''} ${kind} may not set governance_flag ${next.governance_flag}: only a verdict may`,
      };
    }
    return undefined;
  }
  // a verdict
  if (previous === null) return { rule: 'kind-exceeded', message: 'a verdict needs an entry to judge' };
  const merge = checkMergeRule(previous, next);
  if (merge !== undefined) return merge;
  if (next.validation === undefined)
    return { rule: 'kind-exceeded', message: 'a verdict must carry validation' };
  const flag = next.validation.status === 'passed' ? 'validated' : 'validation-failed';
  if (next.governance_flag !== flag) {
    return {
      rule: 'kind-exceeded',
      message: `a verdict with validation ${next.validation.status} must set governance_flag ${flag}`,
    };
  }
  if (!same(withoutVerdictFields(previous), withoutVerdictFields(next))) {
    return {
      rule: 'kind-exceeded',
      message: 'a verdict may change only validation and governance_flag: it changed other fields',
    };
  }
  return undefined;
}
