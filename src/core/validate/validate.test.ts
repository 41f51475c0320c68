import { describe, expect, it } from 'vitest';
import { entryProblems, type LedgerEntry } from '../ledger/entry.js';
import { decideSignoff, parseJiraIssue, parseJiraKey } from './signoff.js';
import {
  buildVerdictEntry,
  checkEntryStatus,
  derivePolicy,
  pickProvenanceArtifact,
  pickProvenanceFiles,
  resolveArtifactLocation,
  selectEntry,
  sourceOfReleaseUrl,
} from './validate-plan.js';

const makeEntry = (o: Partial<LedgerEntry> = {}): LedgerEntry => ({
  run_id: 10,
  tag: 'v1.2.3',
  sha: 'a'.repeat(40),
  artifact_url: 'https://github.com/acme/app/actions/runs/10/artifacts/5',
  actor: 'bot',
  timestamp: '2026-11-20T10:00:00Z',
  status: 'success',
  governance_flag: 'provenance-ready',
  release_url: 'https://github.com/acme/app/releases/tag/v1.2.3',
  ...o,
});

describe('selectEntry', () => {
  const entries = [
    makeEntry({ run_id: 10 }),
    makeEntry({ run_id: 12, timestamp: '2026-11-21T10:00:00Z' }),
    makeEntry({ run_id: 11, timestamp: '2026-11-21T10:00:00Z' }),
    makeEntry({ tag: 'v1.2.4', run_id: 99, timestamp: '2026-11-22T10:00:00Z' }),
  ];
  it('takes the latest run of the tag (timestamp, then run id)', () =>
    expect(selectEntry(entries, 'v1.2.3').run_id).toBe(12));
  it('takes the given run', () => expect(selectEntry(entries, 'v1.2.3', 10).run_id).toBe(10));
  it.each([
    ['v9', undefined],
    ['v1.2.3', 99],
  ])('LEDGER_ENTRY_NOT_FOUND for %s run %s', (tag, run) => {
    expect(() => selectEntry(entries, tag, run)).toThrowCode('LEDGER_ENTRY_NOT_FOUND');
  });
});

describe('checkEntryStatus', () => {
  it('passes success and refuses failure (VALIDATE_STATUS_NOT_SUCCESS)', () => {
    expect(() => checkEntryStatus(makeEntry())).not.toThrow();
    expect(() => checkEntryStatus(makeEntry({ status: 'failure', failure_reason: 'x' }))).toThrowCode(
      'VALIDATE_STATUS_NOT_SUCCESS',
    );
  });
});

describe('derivePolicy', () => {
  it('derives source, tag, commit and builder from the entry', () => {
    expect(derivePolicy(makeEntry())).toEqual({
      sourceUri: 'github.com/acme/app',
      sourceTag: 'v1.2.3',
      commit: 'a'.repeat(40),
      builderId: 'https://github.com/acme/app/.github/workflows/slsa-provenance.yml',
    });
  });
  it('takes --source-uri, --builder-id and the workflow path over the defaults', () => {
    expect(
      derivePolicy(makeEntry(), {
        sourceUri: 'ghes.example/o/r',
        provenanceWorkflow: '.github/workflows/p.yml',
      }),
    ).toMatchObject({
      sourceUri: 'ghes.example/o/r',
      builderId: 'https://ghes.example/o/r/.github/workflows/p.yml',
    });
    expect(derivePolicy(makeEntry(), { builderId: 'https://x/y@v1' }).builderId).toBe('https://x/y@v1');
  });
  it('needs --source-uri without a release URL (USAGE_MISSING_FLAG), refuses a bad one (USAGE_INVALID_FLAG)', () => {
    const { release_url: _drop, ...rest } = makeEntry();
    expect(() => derivePolicy(rest)).toThrowCode('USAGE_MISSING_FLAG');
    expect(() => derivePolicy(makeEntry({ release_url: 'https://example.com/download' }))).toThrowCode(
      'USAGE_MISSING_FLAG',
    );
    expect(() => derivePolicy(makeEntry(), { sourceUri: 'https://github.com/o/r' })).toThrowCode(
      'USAGE_INVALID_FLAG',
    );
  });
  it('reads release URLs of github.com and GHES', () => {
    expect(sourceOfReleaseUrl('https://ghes.example/o/r/releases/tag/v1')).toEqual({
      origin: 'https://ghes.example',
      sourceUri: 'ghes.example/o/r',
    });
    expect(sourceOfReleaseUrl('http://github.com/o/r/releases/tag/v1')).toBeUndefined();
    expect(sourceOfReleaseUrl('nope')).toBeUndefined();
  });
});

describe('buildVerdictEntry', () => {
  it.each([
    [true, 'validated', 'passed'],
    [false, 'validation-failed', 'failed'],
  ] as const)('passed=%s', (passed, flag, status) => {
    const e = buildVerdictEntry(makeEntry(), {
      passed,
      validatedAt: '2026-11-26T00:00:00Z',
      validatorRunId: 5,
      reason: passed ? undefined : 'X',
    } as never);
    expect(e.governance_flag).toBe(flag);
    expect(e.validation).toMatchObject({ status, validated_at: '2026-11-26T00:00:00Z', validator_run_id: 5 });
    expect(e.timestamp).toBe(makeEntry().timestamp);
  });

  it('writes the reason as plain text for the schema: controls escaped, cut on a code point', () => {
    const quoted = buildVerdictEntry(makeEntry(), {
      passed: false,
      validatedAt: '2026-11-26T00:00:00Z',
      reason: 'VERIFY_TAG_MISMATCH: tag mismatch: expected v1.2.3, found v1.2.3\u001b[2J\u202e\ud800',
    });
    expect(quoted.validation?.reason).toBe(
      'VERIFY_TAG_MISMATCH: tag mismatch: expected v1.2.3, found v1.2.3\\u001b[2J\\u202e\\ud800',
    );
    expect(entryProblems(quoted)).toEqual([]);
    // an emoji across the 1,000th code unit: the pair is dropped whole, never halved
    const long = buildVerdictEntry(makeEntry(), {
      passed: false,
      validatedAt: '2026-11-26T00:00:00Z',
      reason: `${'x'.repeat(999)}\u{1f600}tail`,
    });
    expect(long.validation?.reason).toBe('x'.repeat(999));
    expect(entryProblems(long)).toEqual([]);
  });
});

describe('artifact locations', () => {
  it.each([
    [
      'https://github.com/o/r/actions/runs/10/artifacts/5',
      { kind: 'artifact', owner: 'o', repo: 'r', artifactId: 5 },
    ],
    [
      'https://api.github.com/repos/o/r/actions/artifacts/5/zip',
      { kind: 'artifact', owner: 'o', repo: 'r', artifactId: 5 },
    ],
    [
      'https://ghes.example/api/v3/repos/o/r/actions/artifacts/7',
      { kind: 'artifact', owner: 'o', repo: 'r', artifactId: 7 },
    ],
    ['https://github.com/o/r/actions/runs/10', { kind: 'run', owner: 'o', repo: 'r', runId: 10 }],
    ['https://github.com/o/r/actions/runs/10/attempts/2', { kind: 'run', owner: 'o', repo: 'r', runId: 10 }],
    [
      'https://github.com/o/r/releases/download/v1/p.intoto.jsonl',
      { kind: 'direct', url: 'https://github.com/o/r/releases/download/v1/p.intoto.jsonl' },
    ],
  ])('%s', (url, expected) => expect(resolveArtifactLocation(url)).toEqual(expected));

  it('picks the provenance files of an archive', () => {
    expect(pickProvenanceFiles(['only.bin'])).toEqual(['only.bin']);
    expect(pickProvenanceFiles(['a.txt', 'x.intoto.jsonl', 'y.json'])).toEqual(['x.intoto.jsonl']);
    expect(pickProvenanceFiles(['a.json', 'b.json', 'dir/'])).toEqual(['a.json', 'b.json']);
    expect(pickProvenanceFiles(['a.txt', 'b.bin'])).toEqual([]);
  });
  it('picks the provenance artifact of a run', () => {
    const list = [{ name: 'binaries' }, { name: 'provenance', expired: true }, { name: 'app.intoto' }];
    expect(pickProvenanceArtifact(list)?.name).toBe('app.intoto');
    expect(pickProvenanceArtifact(list, 'binaries')?.name).toBe('binaries');
    expect(pickProvenanceArtifact([{ name: 'x' }])?.name).toBe('x');
    expect(pickProvenanceArtifact([{ name: 'x' }, { name: 'y' }])).toBeUndefined();
  });
});

describe('sign-off', () => {
  const issue = (category: string, labels: string[]) =>
    parseJiraIssue('REL-1', { fields: { status: { name: 'S', statusCategory: { key: category } }, labels } });
  it.each([
    ['done', [], 'status'],
    ['indeterminate', ['release-approved'], 'label'],
  ] as const)('category %s labels %j', (c, l, by) =>
    expect(decideSignoff(issue(c, [...l]), 'release-approved').approvedBy).toBe(by),
  );
  it('is VALIDATE_SIGNOFF_MISSING otherwise', () =>
    expect(() => decideSignoff(issue('indeterminate', ['other']), 'release-approved')).toThrowCode(
      'VALIDATE_SIGNOFF_MISSING',
    ));
  it('refuses an answer without fields (JIRA_UNAVAILABLE) and bad keys (USAGE_INVALID_FLAG)', () => {
    expect(() => parseJiraIssue('REL-1', { errorMessages: [] })).toThrowCode('JIRA_UNAVAILABLE');
    expect(parseJiraKey('REL-12')).toBe('REL-12');
    for (const k of ['rel-1', 'REL-0', 'REL', '../x'])
      expect(() => parseJiraKey(k)).toThrowCode('USAGE_INVALID_FLAG');
  });
});

// mutation audit (nineteenth session): each case below failed a mutant the tests above let through
describe('validate plan, exact matches (mutation audit)', () => {
  it('selects by the exact tag, then by timestamp before run id', () => {
    const entries = [
      makeEntry({ run_id: 12, timestamp: '2026-11-21T10:00:00Z' }),
      // an older run with a higher id, and later runs of look-alike tags
      makeEntry({ run_id: 13, timestamp: '2026-11-19T10:00:00Z' }),
      makeEntry({ tag: 'v1.2.3-evil', run_id: 20, timestamp: '2026-11-23T10:00:00Z' }),
      makeEntry({ tag: 'V1.2.3', run_id: 21, timestamp: '2026-11-23T10:00:00Z' }),
    ];
    expect(selectEntry(entries, 'v1.2.3').run_id).toBe(12);
  });

  it('refuses a tag and run the ledger holds twice (VALIDATE_ENTRY_AMBIGUOUS), not one run of two tags', () => {
    const twice = [makeEntry({ run_id: 10 }), makeEntry({ run_id: 10, actor: 'mallory' })];
    expect(() => selectEntry(twice, 'v1.2.3', 10)).toThrowCode('VALIDATE_ENTRY_AMBIGUOUS');
    expect(() => selectEntry(twice, 'v1.2.3')).toThrowCode('VALIDATE_ENTRY_AMBIGUOUS');
    const twoTags = [makeEntry({ run_id: 10 }), makeEntry({ run_id: 10, tag: 'v1.2.4' })];
    expect(selectEntry(twoTags, 'v1.2.3', 10).tag).toBe('v1.2.3');
  });

  it('reads a release URL only as /OWNER/REPO/releases/…, keeping the port', () => {
    expect(sourceOfReleaseUrl('https://github.com/x/o/r/releases/tag/v1')).toBeUndefined();
    expect(sourceOfReleaseUrl('https://github.com/o/r/releases-evil/tag/v1')).toBeUndefined();
    expect(sourceOfReleaseUrl('https://ghes.example:8443/o/r/releases/tag/v1')).toEqual({
      origin: 'https://ghes.example:8443',
      sourceUri: 'ghes.example:8443/o/r',
    });
  });

  it('refuses a --source-uri that is not exactly HOST/OWNER/REPO; a workflow path loses its leading /', () => {
    for (const sourceUri of ['github.com/o/r/x', 'git@github.com/o/r']) {
      expect(() => derivePolicy(makeEntry(), { sourceUri }), sourceUri).toThrowCode('USAGE_INVALID_FLAG');
    }
    expect(derivePolicy(makeEntry(), { provenanceWorkflow: '/.github/workflows/p.yml' }).builderId).toBe(
      'https://github.com/acme/app/.github/workflows/p.yml',
    );
  });

  it('keeps a surrogate pair that ends exactly at the 1,000th code unit', () => {
    const e = buildVerdictEntry(makeEntry(), {
      passed: false,
      validatedAt: '2026-11-26T00:00:00Z',
      reason: `${'x'.repeat(998)}\u{1f600}tail`,
    });
    expect(e.validation?.reason).toBe(`${'x'.repeat(998)}\u{1f600}`);
  });

  it.each([
    // a web link or a REST URL with something after the artifact, a run link under another path
    'https://github.com/o/r/actions/runs/10/artifacts/5/evil',
    'https://api.github.com/repos/o/r/actions/artifacts/5/zipx',
    'https://github.com/x/o/r/actions/runs/10',
  ])('fetches %s as is', (url) => expect(resolveArtifactLocation(url)).toEqual({ kind: 'direct', url }));

  it('ranks provenance files by their whole suffix and ignores directories', () => {
    expect(pickProvenanceFiles(['only.bin', 'dir/'])).toEqual(['only.bin']);
    expect(pickProvenanceFiles(['a.intoto.jsonl.sig', 'b.json'])).toEqual(['b.json']);
  });

  it('takes a named artifact by its exact name, never an expired one', () => {
    const list = [{ name: 'provenance', expired: true }, { name: 'binaries' }];
    expect(pickProvenanceArtifact(list, 'provenance')).toBeUndefined();
    expect(pickProvenanceArtifact(list, 'bin')).toBeUndefined();
  });
});

describe('sign-off, exact matches (mutation audit)', () => {
  const refused = (fields: unknown) => () =>
    decideSignoff(parseJiraIssue('REL-1', { fields }), 'release-approved');
  it('signs off only on the status category done or the exact label', () => {
    // a status named Done in another category, a category that is not exactly done, no category
    expect(
      refused({ status: { name: 'Done', statusCategory: { key: 'indeterminate' } }, labels: [] }),
    ).toThrowCode('VALIDATE_SIGNOFF_MISSING');
    expect(refused({ status: { name: 'S', statusCategory: { key: 'done-ish' } }, labels: [] })).toThrowCode(
      'VALIDATE_SIGNOFF_MISSING',
    );
    expect(refused({ status: { name: 'S' }, labels: [] })).toThrowCode('VALIDATE_SIGNOFF_MISSING');
    // a status without a name is no status
    expect(refused({ status: { statusCategory: { key: 'done' } }, labels: [] })).toThrowCode(
      'VALIDATE_SIGNOFF_MISSING',
    );
    // labels that contain the label, or spell it in another case; labels that are a string
    for (const labels of [['not-release-approved'], ['Release-Approved'], 'release-approved']) {
      expect(refused({ status: { name: 'S', statusCategory: { key: 'new' } }, labels })).toThrowCode(
        'VALIDATE_SIGNOFF_MISSING',
      );
    }
  });

  it('refuses fields that are null (JIRA_UNAVAILABLE) and keys with text around them', () => {
    expect(() => parseJiraIssue('REL-1', { fields: null })).toThrowCode('JIRA_UNAVAILABLE');
    for (const k of ['REL-1/../x', 'aREL-1', `REL-${'1'.repeat(19)}`])
      expect(() => parseJiraKey(k), k).toThrowCode('USAGE_INVALID_FLAG');
  });
});
