// `ingest --accept-rewrite COMMIT` (issue 14): a first or `--full` ingest replays the ledger's whole
// first-parent history and refuses a signed log that did not only grow. The commit that cut a log
// stays in history (the ledger ruleset forbids force-pushes), so without a way to acknowledge it the
// repository could never be ingested again. These are the pure decisions: which reported rewrites
// the operator named (or a previous ingest accepted), which are still refused, and what the runs of
// a day whose log was rewritten are stored as (never `verified`).
import { SlsaLedgerError } from '../../errors.js';
import { dayPathOfLog } from '../ledger-trust/storage.js';

/** A signed log segment cut, rewritten or removed by one commit, as the history replay reports it. */
export interface LogRewrite {
  /** the full id of the commit that made the change */
  readonly commit: string;
  /** the log segment (`docs/reports/<day>/transitions.jsonl`, …) */
  readonly path: string;
  readonly message: string;
}

/** A rewrite accepted by an earlier ingest of the repository (from the database). */
export interface AcceptedRewrite {
  readonly commit: string;
  readonly path: string;
}

export interface RewriteAcceptance {
  /** named by this ingest's `--accept-rewrite` and not accepted before: recorded now */
  readonly accepted: readonly LogRewrite[];
  /** accepted by an earlier ingest of the repository (same commit and path) */
  readonly previously: readonly LogRewrite[];
  /** neither: the ingest refuses */
  readonly refused: readonly LogRewrite[];
  /** named commits that made none of the reported rewrites */
  readonly unmatched: readonly string[];
}

/** The most rewrites an error's details or a message lists (the count says how many there are). */
export const MAX_LISTED_REWRITES = 100;

const COMMIT_PREFIX = /^[0-9a-f]{4,64}$/i;

/**
 * A `--accept-rewrite` value as given: a full commit id or an abbreviation of at least 4 hex digits
 * (git resolves it). Anything else (a ref name, a range, an option) is refused.
 * @throws `INGEST_ACCEPT_REWRITE_INVALID`
 */
export function parseAcceptRewriteValue(value: string): string {
  if (!COMMIT_PREFIX.test(value)) {
    throw new SlsaLedgerError(
      'INGEST_ACCEPT_REWRITE_INVALID',
      `--accept-rewrite takes a commit id (4 to 64 hex digits, as the refusal lists it), got ${JSON.stringify(value.slice(0, 100))}`,
      { details: { flag: 'accept-rewrite', value: value.slice(0, 100) } },
    );
  }
  return value.toLowerCase();
}

/**
 * Sorts the replay's rewrites into accepted now, accepted before and refused. A rewrite is accepted
 * by naming its commit (every log that commit rewrote); one accepted by an earlier ingest needs its
 * commit and path recorded.
 */
export function decideRewriteAcceptance(
  reported: readonly LogRewrite[],
  named: readonly string[],
  persisted: readonly AcceptedRewrite[],
): RewriteAcceptance {
  const byName = new Set(named);
  const before = new Set(persisted.map((p) => `${p.commit}\u0000${p.path}`));
  const accepted: LogRewrite[] = [];
  const previously: LogRewrite[] = [];
  const refused: LogRewrite[] = [];
  const matched = new Set<string>();
  for (const r of reported) {
    if (before.has(`${r.commit}\u0000${r.path}`)) previously.push(r);
    else if (byName.has(r.commit)) accepted.push(r);
    else refused.push(r);
    if (byName.has(r.commit)) matched.add(r.commit);
  }
  return { accepted, previously, refused, unmatched: [...byName].filter((c) => !matched.has(c)) };
}

/** The distinct commits of rewrites, in the order first seen. */
export function commitsOf(rewrites: readonly LogRewrite[]): string[] {
  return [...new Set(rewrites.map((r) => r.commit))];
}

/** The day files whose signed logs the rewrites touched. */
export function rewrittenDays(rewrites: readonly AcceptedRewrite[]): Set<string> {
  const days = new Set<string>();
  for (const r of rewrites) {
    const day = dayPathOfLog(r.path);
    if (day !== undefined) days.add(day);
  }
  return days;
}

/**
 * What a run is stored as when its day's signed log was rewritten (an accepted rewrite): never
 * `verified`, whatever its logs at the head say (a cut log and its run put back to an earlier signed
 * state verify at the head): `invalid`. Any other status is kept.
 */
export function statusAfterRewrite<S extends string>(status: S): S | 'invalid' {
  return status === 'verified' ? 'invalid' : status;
}
