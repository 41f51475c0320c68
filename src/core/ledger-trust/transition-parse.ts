// The strict parser of signed entry transitions (issue 14 item 2), apart from the builder in
// transition.ts: its zod schema is what `check`, `flush` and `ingest` need to read transitions,
// and a writer (`record`) that only builds them does not load zod at start-up.
import { z } from 'zod';
import { canonicalEntry, checkPlainText, checkTimestamp } from '../ledger/entry.js';
import { IN_TOTO_STATEMENT_V1 } from '../provenance/statement.js';
import { parseCanonicalJson } from './canonical-json.js';
import {
  statementProblems,
  transitionInvalid as invalid,
  TRANSITION_PREDICATE_TYPE,
  type TransitionStatement,
} from './transition.js';

const HEX64 = /^[0-9a-f]{64}$/;
const digest = z.strictObject({ sha256: z.string().regex(HEX64, 'must be 64 lower-case hex') });
const text = (max: number) =>
  z
    .string()
    .refine(
      (v) => checkPlainText(v, 'value', max) === undefined,
      `must be plain text (at most ${max} characters)`,
    );
const runNumber = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

const statementSchema = z.strictObject({
  _type: z.literal(IN_TOTO_STATEMENT_V1),
  subject: z
    .array(z.strictObject({ name: z.string().max(512), digest }))
    .length(1, 'a transition has exactly one subject'),
  predicateType: z.literal(TRANSITION_PREDICATE_TYPE),
  predicate: z.strictObject({
    kind: z.enum(['record', 'update', 'verdict']),
    entry: z.strictObject({ tag: z.string().max(512), run_id: runNumber }),
    previous: digest.nullable(),
    state: z.unknown(),
    writer: z.strictObject({
      actor: text(256),
      run_id: runNumber.nullable(),
      run_attempt: runNumber.nullable(),
      workflow_ref: text(1024).nullable(),
    }),
    time: z
      .string()
      .refine((v) => checkTimestamp(v, 'time') === undefined, 'must be an rfc 3339 utc timestamp'),
    ledger: z.strictObject({ repository: text(1024), branch: text(256), path: text(1024) }),
    vsa: digest.optional(),
  }),
});

/**
 * Parses a transition statement from its DSSE payload bytes: strict, bounded JSON (duplicate and
 * case-variant keys refused), the ledger-transition/v1 shape with unknown fields refused, a valid
 * entry as the state, and a statement that agrees with itself (subject = digest of the state,
 * record ⇔ no previous state, the key named three times the same).
 * @throws SlsaLedgerError `TRUST_TRANSITION_INVALID`, or the INPUT_* codes of strict JSON
 */
export function parseTransitionStatement(payload: Uint8Array, source: string): TransitionStatement {
  const value = parseCanonicalJson(payload, 'signed', `transition statement ${source}`);
  const parsed = statementSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) =>
        `${i.path.map(String).join('.') || 'statement'}: ${i.message.replace(/^Invalid input: /, '').toLowerCase()}`,
    );
    throw invalid(`not a ledger transition statement: ${problems[0]!}`, problems, source);
  }
  const statement = parsed.data as unknown as TransitionStatement;
  const problems = statementProblems(statement);
  if (problems.length > 0)
    throw invalid(`the transition contradicts itself: ${problems[0]!}`, problems, source);
  const state = canonicalEntry(statement.predicate.state);
  return { ...statement, predicate: { ...statement.predicate, state } };
}
