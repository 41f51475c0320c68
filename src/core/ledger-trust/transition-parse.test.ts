// Mutation audit of the transition parser (issue 14, twenty-first session): a statement read back
// from the ledger is hostile input (anyone who can push writes it, and any Sigstore identity signs
// it), so each part of its schema is pinned here by the smallest statement that only that part
// refuses. The round trip and the first refusals live in transition.test.ts.
import { describe, expect, it } from 'vitest';
import { makeEntry } from '../../../test/support/ledger.js';
import { isSlsaLedgerError } from '../../errors.js';
import { buildTransitionStatement, serializeTransitionStatement } from './transition.js';
import { parseTransitionStatement } from './transition-parse.js';

type Json = Record<string, unknown>;

const previous = makeEntry({ governance_flag: 'provenance-ready' });
const state = makeEntry({ governance_flag: 'provenance-ready', timestamp: '2025-11-24T10:05:00Z' });
const statement = buildTransitionStatement({
  kind: 'update',
  previous,
  state,
  writer: {
    actor: 'ledger-bot',
    run_id: 42,
    run_attempt: 1,
    workflow_ref: 'acme/app/.github/workflows/provenance.yml@refs/heads/main',
  },
  time: new Date('2025-11-24T12:00:00Z'),
  ledger: { repository: 'acme/ledger', branch: 'ledger', path: 'docs/reports/2025-11-24/manifest.json' },
});
const json = JSON.parse(Buffer.from(serializeTransitionStatement(statement)).toString()) as Json;
const predicate = json.predicate as Json;
const subject = (json.subject as Json[])[0]!;
const writer = predicate.writer as Json;
const ledger = predicate.ledger as Json;
const digest = (predicate.previous as { sha256: string }).sha256;

const withPredicate = (over: Json): Json => ({ ...json, predicate: { ...predicate, ...over } });
const withWriter = (over: Json): Json => withPredicate({ writer: { ...writer, ...over } });
const withLedger = (over: Json): Json => withPredicate({ ledger: { ...ledger, ...over } });
const without = (object: Json, key: string): Json =>
  Object.fromEntries(Object.entries(object).filter(([k]) => k !== key));
const parse = (value: unknown) => parseTransitionStatement(Buffer.from(JSON.stringify(value)), 's');

describe('parseTransitionStatement refuses', () => {
  it.each([
    ['no subject', { ...json, subject: [] }],
    ['a subject with an unknown field', { ...json, subject: [{ ...subject, note: 'x' }] }],
    [
      'a subject digest with a second algorithm',
      { ...json, subject: [{ ...subject, digest: { ...(subject.digest as Json), sha512: 'ab' } }] },
    ],
    ['an entry key with an unknown field', withPredicate({ entry: { tag: 'v1.2.3', run_id: 101, x: 1 } })],
    [
      'an update whose previous is missing (not null)',
      { ...json, predicate: without(predicate, 'previous') },
    ],
    ['a previous digest with a leading extra digit', withPredicate({ previous: { sha256: `0${digest}` } })],
    ['a previous digest with a trailing extra digit', withPredicate({ previous: { sha256: `${digest}0` } })],
    ['a previous digest one digit short', withPredicate({ previous: { sha256: digest.slice(1) } })],
    ['a writer with an unknown field', withWriter({ email: 'a@b' })],
    ['a writer without run_id', withPredicate({ writer: without(writer, 'run_id') })],
    ['a writer without run_attempt', withPredicate({ writer: without(writer, 'run_attempt') })],
    ['a writer run id of 0', withWriter({ run_id: 0 })],
    ['a writer run attempt of 0', withWriter({ run_attempt: 0 })],
    ['a fractional writer run id', withWriter({ run_id: 1.5 })],
    ['a ledger location with an unknown field', withLedger({ remote: 'origin' })],
    ['a verdict whose vsa is null', withPredicate({ kind: 'verdict', vsa: null })],
  ])('%s', (_name, value) => {
    expect(() => parse(value)).toThrowCode('TRUST_TRANSITION_INVALID');
  });

  // each text field: plain text (not empty, no control character, no lone surrogate) within its
  // bound, which is accepted exactly (an off-by-one in either direction fails one of the two)
  const texts: [string, number, (v: string) => Json][] = [
    ['writer.actor', 256, (v) => withWriter({ actor: v })],
    ['writer.workflow_ref', 1024, (v) => withWriter({ workflow_ref: v })],
    ['ledger.repository', 1024, (v) => withLedger({ repository: v })],
    ['ledger.branch', 256, (v) => withLedger({ branch: v })],
    ['ledger.path', 1024, (v) => withLedger({ path: v })],
  ];
  describe.each(texts)('in %s', (_field, max, put) => {
    it.each([
      ['an empty value', ''],
      ['a blank value', '  '],
      ['a control character', 'a\u001bb'],
      ['a lone surrogate', 'a\ud800b'],
      ['one character over the bound', 'a'.repeat(max + 1)],
    ])('%s', (_name, value) => {
      expect(() => parse(put(value))).toThrowCode('TRUST_TRANSITION_INVALID');
    });

    it('but takes a value of exactly the bound', () => {
      expect(() => parse(put('a'.repeat(max)))).not.toThrow();
    });
  });

  it('names its source and every problem in the details, for the schema and for a contradiction', () => {
    const details = (value: unknown): unknown => {
      try {
        parse(value);
      } catch (error) {
        return isSlsaLedgerError(error) ? error.details : error;
      }
      return undefined;
    };
    expect(details(withWriter({ run_id: 0, run_attempt: 0 }))).toEqual({
      source: 's',
      problems: [expect.any(String), expect.any(String)],
    });
    expect(details(withPredicate({ kind: 'record' }))).toEqual({
      source: 's',
      problems: [expect.any(String)],
    });
  });
});
