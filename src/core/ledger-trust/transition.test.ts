import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makeEntry } from '../../../test/support/ledger.js';
import { serializeManifest } from '../ledger/entry.js';
import {
  buildTransitionStatement,
  canonicalEntryText,
  entryDigest,
  sameLedger,
  serializeTransitionStatement,
  TRANSITION_PREDICATE_TYPE,
  transitionSubjectName,
  type BuildTransitionOptions,
} from './transition.js';
import { parseTransitionStatement } from './transition-parse.js';

const entry = makeEntry({ governance_flag: 'provenance-ready' });
const updated = makeEntry({ governance_flag: 'provenance-ready', timestamp: '2025-11-24T10:05:00Z' });
const base: BuildTransitionOptions = {
  kind: 'record',
  previous: null,
  state: entry,
  writer: {
    actor: 'ledger-bot',
    run_id: 42,
    run_attempt: 1,
    workflow_ref: 'acme/app/.github/workflows/provenance.yml@refs/heads/main',
  },
  time: new Date('2025-11-24T12:00:00Z'),
  ledger: { repository: 'acme/ledger', branch: 'ledger', path: 'docs/reports/2025-11-24/manifest.json' },
};

const bytes = (value: unknown): Uint8Array =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('canonicalEntryText and entryDigest', () => {
  it('is the day file serializer applied to one entry', () => {
    // the same bytes a one-entry day file holds between its brackets, re-indented: 2 spaces, \n, final newline
    const text = canonicalEntryText(entry);
    expect(text).toBe(`${JSON.stringify(entry, null, 2)}\n`);
    expect(serializeManifest([entry])).toBe(`[\n${text.replace(/^/gm, '  ').trimEnd()}\n]\n`);
    expect(entryDigest(entry)).toBe(createHash('sha256').update(text).digest('hex'));
  });

  it('does not depend on key order', () => {
    const shuffled = Object.fromEntries(Object.entries(entry).reverse()) as typeof entry;
    expect(entryDigest(shuffled)).toBe(entryDigest(entry));
    expect(entryDigest(updated)).not.toBe(entryDigest(entry));
  });
});

describe('buildTransitionStatement', () => {
  it('builds an in-toto statement whose subject is the state', () => {
    const st = buildTransitionStatement(base);
    expect(st).toEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'v1.2.3#101', digest: { sha256: entryDigest(entry) } }],
      predicateType: TRANSITION_PREDICATE_TYPE,
      predicate: {
        kind: 'record',
        entry: { tag: 'v1.2.3', run_id: 101 },
        previous: null,
        state: entry,
        writer: base.writer,
        time: '2025-11-24T12:00:00.000Z',
        ledger: base.ledger,
      },
    });
    expect(Object.keys(st.predicate)).toEqual([
      'kind',
      'entry',
      'previous',
      'state',
      'writer',
      'time',
      'ledger',
    ]);
  });

  it('chains an update to the previous state and binds a verdict to its vsa', () => {
    const st = buildTransitionStatement({ ...base, kind: 'update', previous: entry, state: updated });
    expect(st.predicate.previous).toEqual({ sha256: entryDigest(entry) });
    const v = buildTransitionStatement({
      ...base,
      kind: 'verdict',
      previous: entry,
      state: updated,
      vsaSha256: 'f'.repeat(64),
    });
    expect(v.predicate.vsa).toEqual({ sha256: 'f'.repeat(64) });
  });

  it.each([
    ['a record with a previous state', { previous: entry }],
    ['an update without one', { kind: 'update' as const }],
    ['a vsa on a record', { vsaSha256: 'f'.repeat(64) }],
    ['a previous state of another run', { kind: 'update' as const, previous: makeEntry({ run_id: 7 }) }],
    ['an invalid state', { state: makeEntry({ sha: 'nope' }) }],
  ])('refuses %s', (_name, over) => {
    expect(() => buildTransitionStatement({ ...base, ...over })).toThrowCode('TRUST_TRANSITION_INVALID');
  });

  it('names the subject <tag>#<run_id>', () => {
    expect(transitionSubjectName({ tag: 'a#1', run_id: 2 })).toBe('a#1#2');
  });
});

describe('parseTransitionStatement', () => {
  const good = buildTransitionStatement({ ...base, kind: 'update', previous: entry, state: updated });
  const json = JSON.parse(Buffer.from(serializeTransitionStatement(good)).toString()) as Record<
    string,
    unknown
  >;
  const predicate = json.predicate as Record<string, unknown>;

  it('round-trips what the builder makes', () => {
    expect(parseTransitionStatement(serializeTransitionStatement(good), 's')).toEqual(good);
  });

  it.each([
    ['a duplicate key', `{"_type":"x",${JSON.stringify(json).slice(1)}`, 'INPUT_JSON_DUPLICATE_KEY'],
    ['a case-variant key', `{"_Type":"x",${JSON.stringify(json).slice(1)}`, 'INPUT_JSON_DUPLICATE_KEY'],
    ['not json', 'nope', 'INPUT_JSON_MALFORMED'],
    ['an unknown field', { ...json, extra: 1 }, 'TRUST_TRANSITION_INVALID'],
    [
      'an unknown predicate field',
      { ...json, predicate: { ...predicate, note: 'x' } },
      'TRUST_TRANSITION_INVALID',
    ],
    [
      'another predicate type',
      { ...json, predicateType: 'https://slsa.dev/provenance/v1' },
      'TRUST_TRANSITION_INVALID',
    ],
    ['statement v0.1', { ...json, _type: 'https://in-toto.io/Statement/v0.1' }, 'TRUST_TRANSITION_INVALID'],
    [
      'two subjects',
      { ...json, subject: [...(json.subject as unknown[]), ...(json.subject as unknown[])] },
      'TRUST_TRANSITION_INVALID',
    ],
    [
      'a subject digest of another state',
      { ...json, subject: [{ name: 'v1.2.3#101', digest: { sha256: entryDigest(entry) } }] },
      'TRUST_TRANSITION_INVALID',
    ],
    [
      'another subject name',
      { ...json, subject: [{ name: 'v9#1', digest: { sha256: entryDigest(updated) } }] },
      'TRUST_TRANSITION_INVALID',
    ],
    [
      'a state of another key',
      { ...json, predicate: { ...predicate, entry: { tag: 'v9', run_id: 101 } } },
      'TRUST_TRANSITION_INVALID',
    ],
    [
      'an invalid state',
      { ...json, predicate: { ...predicate, state: { ...updated, sha: 'x' } } },
      'TRUST_TRANSITION_INVALID',
    ],
    [
      'an update without previous',
      { ...json, predicate: { ...predicate, previous: null } },
      'TRUST_TRANSITION_INVALID',
    ],
    [
      'a record with previous',
      { ...json, predicate: { ...predicate, kind: 'record' } },
      'TRUST_TRANSITION_INVALID',
    ],
    [
      'a vsa on an update',
      { ...json, predicate: { ...predicate, vsa: { sha256: 'f'.repeat(64) } } },
      'TRUST_TRANSITION_INVALID',
    ],
    ['an unknown kind', { ...json, predicate: { ...predicate, kind: 'delete' } }, 'TRUST_TRANSITION_INVALID'],
    ['a bad time', { ...json, predicate: { ...predicate, time: 'yesterday' } }, 'TRUST_TRANSITION_INVALID'],
    [
      'a control character in the actor',
      { ...json, predicate: { ...predicate, writer: { ...(predicate.writer as object), actor: 'a\u0007' } } },
      'TRUST_TRANSITION_INVALID',
    ],
    [
      'a string run id',
      { ...json, predicate: { ...predicate, writer: { ...(predicate.writer as object), run_id: '42' } } },
      'TRUST_TRANSITION_INVALID',
    ],
    [
      'an upper-case digest',
      { ...json, predicate: { ...predicate, previous: { sha256: 'F'.repeat(64) } } },
      'TRUST_TRANSITION_INVALID',
    ],
  ])('refuses %s', (_name, value, code) => {
    expect(() => parseTransitionStatement(bytes(value), 's')).toThrowCode(code);
  });

  // mutation audit (issue 14): a state of another run (or tag) whose subject agrees with the
  // predicate's key and digests the state is caught only by the state-vs-entry check; a state that
  // is no entry at all must stop at the entry problems, not crash on `state.tag`
  const otherState = (change: { tag?: string; run_id?: number }) => {
    const state = makeEntry({ ...updated, ...change });
    return {
      ...json,
      subject: [{ name: 'v1.2.3#101', digest: { sha256: entryDigest(state) } }],
      predicate: { ...predicate, state },
    };
  };
  it.each([
    ['a state of another run id', otherState({ run_id: 202 })],
    ['a state of another tag', otherState({ tag: 'v9.9.9' })],
    ['a null state', { ...json, predicate: { ...predicate, state: null } }],
    ['a string state', { ...json, predicate: { ...predicate, state: 'x' } }],
    ['a list state', { ...json, predicate: { ...predicate, state: [] } }],
  ])('refuses %s (TRUST_TRANSITION_INVALID)', (_name, value) => {
    expect(() => parseTransitionStatement(bytes(value), 's')).toThrowCode('TRUST_TRANSITION_INVALID');
  });

  it('canonicalises the state it returns', () => {
    const reordered = {
      ...json,
      predicate: { ...predicate, state: Object.fromEntries(Object.entries(updated).reverse()) },
    };
    const st = parseTransitionStatement(bytes(reordered), 's');
    expect(Object.keys(st.predicate.state)).toEqual(Object.keys(updated));
  });
});

describe('sameLedger', () => {
  const here = { repository: 'acme/ledger', branch: 'ledger' };
  it('is the same repository and branch', () => {
    expect(sameLedger({ ...here }, here)).toBe(true);
    expect(sameLedger({ ...here, branch: 'main' }, here)).toBe(false);
    expect(sameLedger({ ...here, branch: 'Ledger' }, here)).toBe(false);
    expect(sameLedger({ ...here, repository: 'acme/other' }, here)).toBe(false);
  });

  it('matches a GitHub OWNER/NAME in any ASCII letter case, nothing else', () => {
    expect(sameLedger({ ...here, repository: 'Acme/Ledger' }, here)).toBe(true);
    expect(sameLedger(here, { ...here, repository: 'ACME/LEDGER' })).toBe(true);
    // a host's path stays exact, and never matches an OWNER/NAME
    const lab = { ...here, repository: 'gitlab.example/grp/ledger' };
    expect(sameLedger(lab, { ...lab, repository: 'gitlab.example/GRP/ledger' })).toBe(false);
    expect(sameLedger(lab, { ...here, repository: 'grp/ledger' })).toBe(false);
    // no Unicode folding: the Kelvin sign is not k, the long s is not s
    expect(
      sameLedger({ ...here, repository: 'acme/ledger\u212a' }, { ...here, repository: 'acme/ledgerk' }),
    ).toBe(false);
    expect(
      sameLedger({ ...here, repository: '\u017fcme/ledger' }, { ...here, repository: 'scme/ledger' }),
    ).toBe(false);
  });
});
