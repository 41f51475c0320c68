import { describe, expect, it } from 'vitest';
import { unexpectedLedgerPath } from './layout.js';

const R = 'docs/reports';
const judge = (rel: string): string | undefined => unexpectedLedgerPath(`${R}/${rel}`, R);

describe('the paths the writers write', () => {
  it.each([
    '2025-11-24/manifest.json',
    '2025-11-24/transitions.jsonl',
    '2025-11-24/transitions.2.jsonl',
    '2025-11-24/vsa.jsonl',
    '2025-11-24/vsa.17.jsonl',
    '2024-02-29/manifest.json',
    'index/VERSION',
    'index/LAST',
    'index/0a.json',
    'index/ff.json',
  ])('%s is fine', (rel) => {
    expect(judge(rel)).toBeUndefined();
  });

  it.each(['README.md', 'q3/summary.pdf', 'archive/2024/notes.txt', 'manifests.json', 'q3/manifest.jsonl'])(
    '%s is not the ledger part of the folder: left alone',
    (rel) => {
      expect(judge(rel)).toBeUndefined();
    },
  );

  it('paths outside the reports folder are not judged', () => {
    expect(unexpectedLedgerPath('src/2025-11-24/manifest.json', R)).toBeUndefined();
    expect(unexpectedLedgerPath('docs/reportsx/2025-11-24/notes.txt', R)).toBeUndefined();
  });
});

describe('the paths no writer writes', () => {
  it.each([
    ['2025-11-24/Manifest.json', /differs only in case from a ledger file/],
    ['2025-11-24/MANIFEST.JSON', /differs only in case/],
    ['2025-11-24/Transitions.jsonl', /differs only in case/],
    ['index/version', /differs only in case/],
    ['index/Last', /differs only in case/],
    ['index/AB.json', /differs only in case/],
    ['2025-11-24/notes.txt', /no writer writes this path/],
    ['2025-11-24/manifest.json.orig', /no writer writes/],
    ['2025-11-24/manifest.json ', /no writer writes/],
    ['2025-11-24/transitions.1.jsonl', /no writer writes/],
    ['2025-11-24/transitions.007.jsonl', /no writer writes/],
    ['2025-11-24/sub/manifest.json', /no writer writes/],
    ['2025-11-24/manifest-queue.json', /no writer writes/],
    ['2025-13-01/manifest.json', /2025-13-01 is not a calendar day/],
    ['2025-02-29/transitions.jsonl', /2025-02-29 is not a calendar day/],
    ['2025-11-1/manifest.json', /no writer writes/],
    ['archive/manifest.json', /no writer writes/],
    ['index/extra.txt', /no writer writes/],
    ['Index/VERSION', /differs only in case/],
    ['2025-11-24/manifest.json\n', /control character/],
    ['x\u007f/notes.txt', /control character/],
  ])('%j: %s', (rel, reason) => {
    expect(judge(rel)).toMatch(reason);
  });

  it('a case variant of the reports folder is judged as the folder itself', () => {
    expect(unexpectedLedgerPath('docs/Reports/2025-11-24/manifest.json', R)).toMatch(
      /folder differs only in case from the reports folder docs\/reports/,
    );
    expect(unexpectedLedgerPath('DOCS/reports/index/00.json', R)).toMatch(/differs only in case/);
    expect(unexpectedLedgerPath('docs/Reports/README.md', R)).toBeUndefined();
  });
});

// Mutation audit (twentieth session): each case below fails with one mutant of layout.ts applied.
describe('the ledger part of the folder, exactly', () => {
  it.each([
    '2025-11-24x/notes.txt',
    'x2025-11-24/notes.txt',
    'archive/manifest.json.orig',
    'archive/transitions.jsonl.bak',
  ])('%j is not the ledger part of the folder: left alone', (rel) => {
    expect(judge(rel)).toBeUndefined();
  });

  it.each([
    ['index/a.json', /no writer writes/],
    ['index/x0a.json', /no writer writes/],
    ['index/00.json/extra', /no writer writes/],
    ['index/VERSION/extra', /no writer writes/],
    ['index/LAST/extra', /no writer writes/],
    ['index/LASTS', /no writer writes/],
    ['archive/manifest-queue.json', /no writer writes/],
    ['archive/transitions.2.jsonl', /no writer writes/],
    ['archive/Manifest.json', /no writer writes/],
    ['archive/2024/manifest.json', /no writer writes/],
    ['2025-13-01/sub/manifest.json', /no writer writes/],
  ])('%j: %s', (rel, reason) => {
    expect(judge(rel)).toMatch(reason);
  });

  it('a reports folder given with a trailing slash is the same folder', () => {
    expect(unexpectedLedgerPath(`${R}/2025-11-24/manifest.json`, `${R}/`)).toBeUndefined();
    expect(unexpectedLedgerPath(`${R}/index/00.json`, `${R}//`)).toBeUndefined();
    expect(unexpectedLedgerPath(`${R}/2025-11-24/notes.txt`, `${R}/`)).toMatch(/no writer writes/);
  });
});
