// docs/limits.md is what a user reads and src/core/input/limits.ts what the readers hold to: the mutation audit of
// the bounded parsers (docs/status.md, issue 13) found that a changed number in `limits.ts` failed no
// test. Each number is checked against the docs here; the readers' tests check that it is enforced.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { limits, otherLimits, type JsonLimitsName } from '../../../src/core/input/limits.js';

const doc = readFileSync(new URL('../../../docs/limits.md', import.meta.url), 'utf8');

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** `32 MiB`, `8 KiB`, `1 GiB` as the docs write sizes; any other number of bytes as digits. */
function size(bytes: number): string {
  for (const [unit, n] of [
    ['GiB', GiB],
    ['MiB', MiB],
    ['KiB', KiB],
  ] as const) {
    if (bytes >= n && bytes % n === 0) return `${bytes / n} ${unit}`;
  }
  return String(bytes);
}

/** `50,000` */
const count = (n: number): string => n.toLocaleString('en-US');

describe('docs/limits.md names the numbers of limits.ts', () => {
  const rows = new Map(
    doc
      .split('\n')
      .map((line) => /^\| `(\w+)` +\|[^|]*\|(.*)\|\s*$/.exec(line.replace(/\\\|/g, '/')))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!.split('|').map((cell) => cell.trim())]),
  );

  it.each(Object.keys(limits) as JsonLimitsName[])('the JSON profile %s', (name) => {
    const l = limits[name];
    expect(rows.get(name)).toEqual([
      size(l.maxBytes),
      String(l.maxDepth),
      size(l.maxStringLength),
      count(l.maxArrayLength),
      count(l.maxObjectKeys),
      l.caseInsensitiveKeys ? 'refused' : 'allowed',
    ]);
  });

  it('every profile is in the table', () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(limits).sort());
  });

  it.each([
    ['yamlBytes', `| ${size(otherLimits.yamlBytes)} (\`INPUT_TOO_LARGE\` before reading`],
    ['yamlAliases', `at most ${otherLimits.yamlAliases} aliases of one anchor`],
    ['yamlDepth', `nesting at most ${otherLimits.yamlDepth} levels`],
    ['workflowTextNodes', `at most ${count(otherLimits.workflowTextNodes)} and`],
    ['futureSkewS', `at most ${otherLimits.futureSkewS / 60} minutes ahead of the clock`],
    ['ledgerReadBytes', `\`ledgerReadBytes\` (${size(otherLimits.ledgerReadBytes)})`],
    [
      'ledgerLogBytes',
      `| ${size(otherLimits.ledgerLogBytes)} and ${count(otherLimits.ledgerLogLines)} lines per segment`,
    ],
    ['ledgerLogsReadBytes', `${size(otherLimits.ledgerLogsReadBytes)} (\`ledgerLogsReadBytes\`)`],
    [
      'ledgerLogsRepeatBytes',
      `${size(otherLimits.ledgerLogsRepeatBytes)} of such repeats (\`ledgerLogsRepeatBytes\``,
    ],
    ['ledgerLogSegmentBytes', `${size(otherLimits.ledgerLogSegmentBytes)} (\`ledgerLogSegmentBytes\`)`],
    ['ledgerLogSegments', `At most ${count(otherLimits.ledgerLogSegments)} segments per log`],
    ['attestationsBytes', `\`attestationsBytes\` (${size(otherLimits.attestationsBytes)};`],
  ])('%s', (_name, phrase) => {
    expect(doc.replace(/\s+/g, ' ')).toContain(phrase);
  });
});
