// audit-workflows on workflow files a pusher or a pull request wrote (issue 14, sixteenth session):
// an 800-byte alias bomb hung it (the text walk expanded every alias), a 1 MiB `[[[[…` took 10 s
// and 630 MB, a 60 MiB file was read whole (only 64 MiB was the limit), and `on: *trigger` /
// `permissions: *perms` hid a pull_request_target checkout and write-all from the rules while
// GitHub's own parser reads them as written. Each is checked here in a child process with a time
// and a heap limit (a hang is killed and fails the test). Needs `npm run build`.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { yamlDepthOver } from '../../../src/core/input/bounded-yaml.js';
import { otherLimits } from '../../../src/core/input/limits.js';
import { BIN } from '../../support/git.js';
import { runCliCaptured } from '../../support/cli.js';
import { runNodeBounded } from '../../support/spawn-bounded.js';
import { loadWorkflowParser, repoRoot, tempDir } from './support.js';

const TIMEOUT_MS = 60_000; // a hang, not a slow run
const HEAP_MB = 256;

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run 'npm run build' first`);
});

function repoWith(files: Record<string, string>): string {
  const dir = tempDir('slsa-hostile-wf-');
  mkdirSync(join(dir, '.git'));
  mkdirSync(join(dir, '.github/workflows'), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, '.github/workflows', name), text);
  return dir;
}

async function auditBounded(
  dir: string,
): Promise<{ code: number | null; error: { code: string; details: Record<string, unknown> } }> {
  const run = await runNodeBounded([BIN, 'audit-workflows', '--json'], {
    cwd: dir,
    timeoutMs: TIMEOUT_MS,
    heapMb: HEAP_MB,
  });
  expect(run.timedOut, 'audit-workflows hung').toBe(false);
  return {
    code: run.code,
    error: (JSON.parse(run.stdout) as { error: { code: string; details: Record<string, unknown> } }).error,
  };
}

const JOB = `jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo hi
`;

describe('audit-workflows: hostile YAML is refused, never a hang or a crash', () => {
  it('the depth bound keeps every real workflow (shipped, test/fixtures/workflows/corpus) far within the limit', () => {
    const files = [
      ...readdirSync(join(repoRoot, 'workflows'))
        .filter((f) => f.endsWith('.yml'))
        .map((f) => join(repoRoot, 'workflows', f)),
      ...readdirSync(join(repoRoot, 'test/fixtures/workflows/corpus')).map((f) =>
        join(repoRoot, 'test/fixtures/workflows/corpus', f),
      ),
    ];
    expect(files.length).toBeGreaterThanOrEqual(25);
    for (const f of files) expect(yamlDepthOver(readFileSync(f, 'utf8'), 24), f).toBeUndefined();
  });

  it('an alias bomb of 800 bytes: WORKFLOW_INVALID (details.limit aliases), at once', async () => {
    const bomb = `on: push\n${JOB}x:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n${Array.from(
      { length: 11 },
      (_, i) => `  a${i + 1}: &a${i + 1} [${Array(9).fill(`*a${i}`).join(', ')}]`,
    ).join('\n')}\n`;
    expect(bomb.length).toBeLessThan(1000);
    const r = await auditBounded(repoWith({ 'bomb.yml': bomb }));
    expect(r.code).toBe(3);
    expect(r.error.code).toBe('WORKFLOW_INVALID');
    expect(JSON.stringify(r.error.details)).toMatch(/alias/);
    expect(r.error.details).toMatchObject({ limit: 'aliases', max: otherLimits.yamlAliases });
  });

  it('details.limit names the limit broken, at the top and for each file (docs/limits.md)', async () => {
    const aliases = `a: &a [x]\nb: [${Array(101).fill('*a').join(',')}]\non: push\n${JOB}`;
    const deep = `on: push\n${JOB}a: &a ${'['.repeat(40)}x${']'.repeat(40)}\nz: ${'['.repeat(30)}*a${']'.repeat(30)}\n`;
    for (const [text, limit] of [
      [aliases, 'aliases'],
      [deep, 'depth'],
    ] as const) {
      const r = await runCliCaptured(['audit-workflows', '--json'], { cwd: repoWith({ 'w.yml': text }) });
      expect(r.code).toBe(3);
      expect(r.json().error).toMatchObject({
        code: 'WORKFLOW_INVALID',
        details: { limit, problems: [{ file: '.github/workflows/w.yml', limit }] },
      });
    }
  });

  it('aliases nesting past the depth limit once expanded: refused, not read short', async () => {
    // the text nests 40 and 30 levels, within the limit; one alias puts one inside the other
    const wf = `on: push\n${JOB}a: &a ${'['.repeat(40)}x${']'.repeat(40)}\nz: ${'['.repeat(30)}*a${']'.repeat(30)}\n`;
    const r = await runCliCaptured(['audit-workflows', '--json'], { cwd: repoWith({ 'deep.yml': wf }) });
    expect(r.code).toBe(3);
    expect(r.json().error!.code).toBe('WORKFLOW_INVALID');
    expect(r.json().error!.message).toMatch(/levels deep once its aliases are expanded/);
  });

  it.each([
    [
      'a flow sequence nested 500,000 deep (1 MiB)',
      `on: push\n${JOB}x: ${'['.repeat(500_000)}${']'.repeat(500_000)}\n`,
    ],
    ['compact sequences nested 250,000 deep', `on: push\n${JOB}x:\n  ${'- '.repeat(250_000)}y\n`],
  ])('%s: WORKFLOW_INVALID (details.limit depth), in seconds', async (_name, text) => {
    const started = performance.now();
    const r = await auditBounded(repoWith({ 'deep.yml': text }));
    expect(r.code).toBe(3);
    expect(r.error.code).toBe('WORKFLOW_INVALID');
    expect(JSON.stringify(r.error.details)).toMatch(/nests more than 64 levels deep/);
    expect(performance.now() - started).toBeLessThan(8_000);
  });

  it('a workflow over 1 MiB is INPUT_TOO_LARGE before it is read; bytes not UTF-8, a NUL: WORKFLOW_INVALID', async () => {
    const big = repoWith({ 'big.yml': `on: push\n${JOB}${'#'.repeat(otherLimits.yamlBytes)}\n` });
    const r = await runCliCaptured(['audit-workflows', '--json'], { cwd: big });
    expect(r.code).toBe(3);
    expect(r.json().error).toMatchObject({
      code: 'INPUT_TOO_LARGE',
      details: { max: otherLimits.yamlBytes },
    });
    const latin1 = repoWith({});
    writeFileSync(
      join(latin1, '.github/workflows/l.yml'),
      Buffer.concat([Buffer.from(`on: push\nname: caf`), Buffer.from([0xe9]), Buffer.from(`\n${JOB}`)]),
    );
    writeFileSync(join(latin1, '.github/workflows/n.yml'), `on: push\nname: a\0b\n${JOB}`);
    const l = await runCliCaptured(['audit-workflows', '--json'], { cwd: latin1 });
    expect(l.code).toBe(3);
    expect(l.json().error!.code).toBe('WORKFLOW_INVALID');
    expect(l.json().error!.message).toMatch(/l\.yml: not valid UTF-8/);
    expect(l.json().error!.message).toMatch(/n\.yml:2: holds the control character U\+0000/);
  });

  it('a workflow that is a symlink (to /etc/passwd) or a FIFO is refused without reading or waiting', async () => {
    const dir = repoWith({ 'ok.yml': `on: push\n${JOB}` });
    symlinkSync('/etc/passwd', join(dir, '.github/workflows/passwd.yml'));
    const r = await auditBounded(dir);
    expect(r.code).toBe(3);
    expect(r.error.code).toBe('INPUT_FILE_NOT_REGULAR');
    const fifo = repoWith({});
    execFileSync('mkfifo', [join(fifo, '.github/workflows/fifo.yml')]);
    const f = await auditBounded(fifo);
    expect(f.error.code).toBe('INPUT_FILE_NOT_REGULAR');
  });
});

describe('audit-workflows: a rule is not evaded through an alias', () => {
  // GitHub accepts anchors where values go (an `env:` value, a `runs-on:` list), and the keys in any order
  const job = (anchors: string): string => `jobs:
  build:
    runs-on: ubuntu-latest
    permissions: {}
    env:
${anchors}
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
        with:
          persist-credentials: false
          ref: \${{ github.event.pull_request.head.sha }}
`;
  const plain = `${job('      T: pull_request_target\n      P: write-all')}on: pull_request_target\npermissions: write-all\n`;
  const aliased = `${job('      T: &trigger pull_request_target\n      P: &perms write-all')}on: *trigger\npermissions: *perms\n`;
  const aliasedList = `${job('      T: x')}  other:\n    runs-on: &triggers [push, pull_request_target]\n    steps:\n      - run: echo\non: *triggers\npermissions: {}\n`;

  it("GitHub's own parser reads the aliased trigger and permissions as written", async () => {
    const wp = await loadWorkflowParser();
    for (const text of [aliased, aliasedList]) {
      const result = wp.parseWorkflow({ name: 'w.yml', content: text }, new wp.NoOperationTraceWriter());
      expect(result.context.errors.getErrors().map((e) => e.message)).toEqual([]);
      const tpl = await wp.convertWorkflowTemplate(result.context, result.value!);
      expect(JSON.stringify(tpl.events)).toContain('pull_request_target');
    }
  });

  it.each([
    ['on: and permissions: through aliases', aliased],
    ['on: through an alias of a list', aliasedList],
  ])('%s: the same findings as written out', async (_name, text) => {
    const rules = async (wf: string): Promise<string[]> => {
      const r = await runCliCaptured(['audit-workflows', '--format', 'json'], {
        cwd: repoWith({ 'w.yml': wf }),
      });
      return (JSON.parse(r.stdout) as { findings: { rule: string; message: string }[] }).findings
        .map((f) => `${f.rule}: ${f.message}`)
        .sort();
    };
    const got = await rules(text);
    expect(got.some((f) => f.startsWith('pull-request-target-checkout'))).toBe(true);
    if (text === aliased) expect(got).toEqual(await rules(plain));
  });
});
