import { describe, expect, it } from 'vitest';
import { buildTypeOf, extractFacts, normalizeRepositoryUri, splitGitUri } from './facts.js';
import { COMMIT, makeStatement } from '../../../test/support/provenance-factories.js';
import type { InTotoStatement } from './types.js';

describe('extractFacts (SLSA v1, GitHub workflow buildType)', () => {
  it('reads builder, source, ref, commit and workflow from the predicate', () => {
    expect(extractFacts(makeStatement())).toStrictEqual({
      predicateType: 'https://slsa.dev/provenance/v1',
      buildType: 'https://actions.github.io/buildtypes/workflow/v1',
      builderId: 'https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.2.3',
      sourceRepository: 'github.com/o/r',
      sourceRef: 'refs/tags/v1.2.3',
      sourceCommit: COMMIT,
      workflowInputs: undefined,
      workflowPath: '.github/workflows/release.yml',
    });
  });

  it('has no source without resolvedDependencies (no fallback to other fields)', () => {
    const s = makeStatement();
    const p = structuredClone(s.predicate) as { buildDefinition: Record<string, unknown> };
    delete p.buildDefinition.resolvedDependencies;
    const facts = extractFacts({ ...s, predicate: p });
    expect(facts).toMatchObject({
      sourceRepository: undefined,
      sourceRef: undefined,
      sourceCommit: undefined,
    });
  });

  it('refuses an unknown predicate or build type', () => {
    expect(() => extractFacts({ ...makeStatement(), predicateType: 'https://example.com/x' })).toThrowCode(
      'VERIFY_PREDICATE_TYPE_INVALID',
    );
    expect(() => extractFacts({ ...makeStatement(), predicate: { buildType: 'x' } })).toThrowCode(
      'VERIFY_PREDICATE_TYPE_INVALID',
    );
  });

  it('refuses a v1 predicate without a builder id', () => {
    const s = makeStatement();
    const p = structuredClone(s.predicate) as { runDetails: Record<string, unknown> };
    p.runDetails.builder = {};
    expect(() => extractFacts({ ...s, predicate: p })).toThrowCode('INPUT_PROVENANCE_MALFORMED');
  });
});

describe('uri helpers', () => {
  it.each([
    ['https://github.com/o/r', 'github.com/o/r'],
    ['git+https://github.com/o/r.git', 'github.com/o/r'],
    ['github.com/o/r/', 'github.com/o/r'],
  ])('normalises %s', (uri, expected) => expect(normalizeRepositoryUri(uri)).toBe(expected));
  it('splits a git uri at the first @ after the host', () => {
    expect(splitGitUri('git+https://github.com/o/r@refs/tags/a@b')).toStrictEqual({
      repository: 'github.com/o/r',
      ref: 'refs/tags/a@b',
    });
    expect(splitGitUri('git+https://github.com/o/r')).toStrictEqual({
      repository: 'github.com/o/r',
      ref: undefined,
    });
  });
  it('reads v1 and v0.2 build types', () => {
    expect(buildTypeOf({ buildDefinition: { buildType: 'a' } })).toBe('a');
    expect(buildTypeOf({ buildType: 'b' })).toBe('b');
    expect(buildTypeOf({})).toBeUndefined();
  });
});

// Mutation audit of the verify policy (nineteenth session, docs/status.md issue 16): each case
// missed by a mutant of facts.ts, facts/slsa-v1-github-workflow.ts or facts/uri.ts before.
describe('facts: the rules a mutant broke unseen', () => {
  const withDefinition = (edit: (p: any) => void): InTotoStatement => {
    const s = makeStatement();
    const p = structuredClone(s.predicate) as any;
    edit(p);
    return { ...s, predicate: p };
  };

  it('reads a v1 buildType from buildDefinition, before any top-level buildType', () => {
    expect(buildTypeOf({ buildDefinition: { buildType: 'a' }, buildType: 'b' })).toBe('a');
  });

  it('v1 GitHub workflow: the source is resolvedDependencies[0] with digest.gitCommit only', () => {
    const s = withDefinition((p) => {
      p.buildDefinition.resolvedDependencies.push({
        uri: 'git+https://github.com/mallory/x@refs/heads/evil',
        digest: { gitCommit: 'f'.repeat(40) },
      });
    });
    expect(extractFacts(s)).toMatchObject({ sourceRepository: 'github.com/o/r', sourceCommit: COMMIT });
    const sha1Only = withDefinition((p) => {
      p.buildDefinition.resolvedDependencies[0].digest = { sha1: COMMIT };
    });
    expect(extractFacts(sha1Only).sourceCommit).toBeUndefined();
  });

  it('v1 GitHub workflow: an input that is not a string is its JSON', () => {
    const s = withDefinition((p) => {
      p.buildDefinition.externalParameters.inputs = { list: ['a', 1], flag: true, none: null };
    });
    expect(extractFacts(s).workflowInputs).toStrictEqual({ list: '["a",1]', flag: 'true', none: 'null' });
  });

  it('v1 GitHub workflow: an empty workflow path is none', () => {
    const s = withDefinition((p) => {
      p.buildDefinition.externalParameters.workflow.path = '';
    });
    expect(extractFacts(s).workflowPath).toBeUndefined();
  });

  it.each([
    ['  https://github.com/o/r  ', 'github.com/o/r'],
    ['HTTPS://github.com/o/r', 'github.com/o/r'],
    ['ssh://github.com/o/r', 'github.com/o/r'],
    ['git+ssh://github.com/o/r.git', 'github.com/o/r'],
    ['git+github.com/o/r', 'github.com/o/r'],
    ['github.com/o/r.github', 'github.com/o/r.github'],
    ['github.com/o/r.git/', 'github.com/o/r'],
  ])('normalises %s', (uri, expected) => expect(normalizeRepositoryUri(uri)).toBe(expected));

  it('splits a git uri at the first @ after the scheme, with or without a scheme', () => {
    expect(splitGitUri('git+https://github.com/o/r@refs/heads/a@b')).toStrictEqual({
      repository: 'github.com/o/r',
      ref: 'refs/heads/a@b',
    });
    expect(splitGitUri('github.com/o/r@refs/heads/main')).toStrictEqual({
      repository: 'github.com/o/r',
      ref: 'refs/heads/main',
    });
  });
});
