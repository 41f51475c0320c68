// The fuzz corpus: every hostile input named in issue 13 (and a few of our own), as bytes, so the
// property tests and the CLI sample run the same cases. Each case names what it is and where it
// comes from; the generators are deterministic.
import { makeEntry } from '../../support/ledger.js';

export interface CorpusCase {
  readonly name: string;
  /** issue 13, issue 14, or ours */
  readonly from: 'issue 13' | 'issue 14' | 'ours';
  readonly bytes: () => Buffer;
}

const entryText = (overrides: Record<string, unknown>): string =>
  `${JSON.stringify([makeEntry(overrides)], null, 2)}\n`;

/** Day files (also used as queue files, entries, provenance files and bundles: every reader gets every case). */
export const documents: readonly CorpusCase[] = [
  {
    name: '20,000-deep nested array',
    from: 'issue 13',
    bytes: () => Buffer.from(`${'['.repeat(20_000)}${']'.repeat(20_000)}`),
  },
  {
    name: '20,000-deep nested object',
    from: 'ours',
    bytes: () => Buffer.from(`${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`),
  },
  {
    name: "900 KB '[{},{},…]'",
    from: 'issue 13',
    bytes: () => Buffer.from(`[${Array.from({ length: 300_000 }, () => '{}').join(',')}]`),
  },
  {
    name: '40 MB of whitespace (the 540 MB case, over every byte limit)',
    from: 'issue 13',
    bytes: () => Buffer.alloc(40 * 1024 * 1024, 0x20),
  },
  { name: 'not json', from: 'issue 13', bytes: () => Buffer.from('not json\n') },
  { name: 'empty', from: 'ours', bytes: () => Buffer.alloc(0) },
  { name: 'a byte-order mark', from: 'ours', bytes: () => Buffer.from('\ufeff[]') },
  { name: 'invalid UTF-8', from: 'ours', bytes: () => Buffer.from([0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d]) },
  {
    name: 'a lone surrogate in actor',
    from: 'issue 13',
    bytes: () => Buffer.from(entryText({ actor: '\ud800' })),
  },
  {
    name: 'metrics.notify.attempts 3,000,000,000',
    from: 'issue 13',
    bytes: () =>
      Buffer.from(entryText({ metrics: { notify: { attempts: 3_000_000_000, delivered: false } } })),
  },
  {
    name: 'timestamp 9999-12-31T23:59:59Z',
    from: 'issue 13',
    bytes: () => Buffer.from(entryText({ timestamp: '9999-12-31T23:59:59Z' })),
  },
  {
    name: 'tag with a zero-width space',
    from: 'issue 13',
    bytes: () => Buffer.from(entryText({ tag: 'v1.2\u200b.3' })),
  },
  {
    name: 'tag with a right-to-left override',
    from: 'issue 13',
    bytes: () => Buffer.from(entryText({ tag: 'v1.2.3\u202e' })),
  },
  {
    name: 'tag with a trailing U+FEFF',
    from: 'issue 13',
    bytes: () => Buffer.from(entryText({ tag: 'v1.2.3\ufeff' })),
  },
  { name: 'run_id "1" (a string)', from: 'issue 13', bytes: () => Buffer.from(entryText({ run_id: '1' })) },
  {
    name: 'duplicate keys',
    from: 'issue 13',
    bytes: () => Buffer.from('[{"subject": [], "subject": [{"name": "x"}]}]'),
  },
  {
    name: 'case-variant keys',
    from: 'issue 13',
    bytes: () =>
      Buffer.from('{"subject": [], "Subject": [{"name": "x"}], "_type": "https://in-toto.io/Statement/v1"}'),
  },
  {
    name: 'a 10 MB string',
    from: 'ours',
    bytes: () => Buffer.from(`["${'a'.repeat(10 * 1024 * 1024)}"]`),
  },
  {
    name: '100,000 keys in one object',
    from: 'ours',
    bytes: () => Buffer.from(`{${Array.from({ length: 100_000 }, (_, i) => `"k${i}":0`).join(',')}}`),
  },
  {
    name: '__proto__ and constructor keys',
    from: 'ours',
    bytes: () => Buffer.from('[{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}}]'),
  },
  {
    name: 'a number with 100,000 digits',
    from: 'ours',
    bytes: () => Buffer.from(`[${'9'.repeat(100_000)}]`),
  },
  { name: 'NUL bytes', from: 'ours', bytes: () => Buffer.from('[\u0000]') },
];
