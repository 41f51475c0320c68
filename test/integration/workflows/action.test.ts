// The GitHub Action: action.yml runs the committed bundle on node24; the bundle is up to date with
// the sources, runs the CLI in-process, and maps the JSON result to $GITHUB_OUTPUT.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { commands } from '../../../src/cli/commands/index.js';
import { readTemplate, repoRoot, tempDir, writeFiles, mutate } from './support.js';

const bundle = join(repoRoot, 'action', 'dist', 'index.js');

function runAction(inputs: Record<string, string>, cwd: string, env: Record<string, string> = {}) {
  const outputFile = join(cwd, 'github-output');
  writeFileSync(outputFile, '');
  const inputEnv = Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]),
  );
  const run = spawnSync(process.execPath, [bundle], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: cwd, GITHUB_OUTPUT: outputFile, ...inputEnv, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return {
    code: run.status,
    stdout: run.stdout,
    stderr: run.stderr,
    outputs: parseOutputs(readFileSync(outputFile, 'utf8')),
  };
}

/** Parses the `name<<DELIM\nvalue\nDELIM` format GitHub reads from $GITHUB_OUTPUT. */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i]!);
    if (m === null) continue;
    const value: string[] = [];
    i += 1;
    while (i < lines.length && lines[i] !== m[2]) value.push(lines[i++]!);
    out[m[1]!] = value.join('\n');
  }
  return out;
}

describe('action.yml', () => {
  it('runs the bundle on node24 and declares the inputs the templates use', () => {
    const action = parse(readFileSync(join(repoRoot, 'action.yml'), 'utf8'));
    expect(action.runs).toEqual({ using: 'node24', main: 'action/dist/index.js' });
    expect(Object.keys(action.inputs)).toEqual(['command', 'args', 'ok-exit-codes', 'working-directory']);
    expect(action.inputs.command.required).toBe(true);
    for (const out of ['ok', 'exit_code', 'error_code', 'result', 'dispatch_tag', 'dispatch_run_id']) {
      expect(action.outputs).toHaveProperty(out);
    }
  });
});

describe('the committed bundle', () => {
  it('is up to date with the sources (run `npm run build:action` when this fails)', async () => {
    const { buildAction } = (await import(pathToFileURL(join(repoRoot, 'action', 'build.mjs')).href)) as {
      buildAction: (outdir: string) => Promise<void>;
    };
    const fresh = tempDir('slsa-ledger-action-');
    await buildAction(fresh);
    const committed = join(repoRoot, 'action', 'dist');
    const names = readdirSync(fresh).sort();
    expect(readdirSync(committed).sort()).toEqual(names);
    for (const name of names) {
      expect(
        readFileSync(join(committed, name), 'utf8') === readFileSync(join(fresh, name), 'utf8'),
        name,
      ).toBe(true);
    }
  });

  it('--version: outputs ok, exit_code and the result fields', () => {
    const run = runAction({ command: '--version' }, tempDir());
    expect(run.code).toBe(0);
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(run.outputs).toMatchObject({ ok: 'true', exit_code: '0', error_code: '', version: pkg.version });
    expect(JSON.parse(run.outputs.result!)).toEqual({ version: pkg.version });
  });

  it('audit-workflows with args: findings as outputs; failing exit code fails the step', () => {
    const dir = tempDir();
    const bad = mutate(
      readTemplate('release.yml'),
      '3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1',
      'v4',
    );
    writeFiles(dir, { 'my flows/release.yml': bad });
    const run = runAction({ command: 'audit-workflows', args: "'my flows'" }, dir);
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ ok: 'false', exit_code: '1', error_code: 'AUDIT_FINDINGS' });
    expect(run.stderr).toContain('::error title=slsa-ledger audit-workflows::AUDIT_FINDINGS');
  });

  it('a clean audit maps the report fields to outputs', () => {
    const dir = tempDir();
    writeFiles(dir, { '.github/workflows/release.yml': readTemplate('release.yml') });
    const run = runAction({ command: 'audit-workflows', args: '--format\ntext' }, dir);
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ ok: 'true', errors: '0', warnings: '0', findings: '[]' });
    expect(JSON.parse(run.outputs.files!)).toEqual(['.github/workflows/release.yml']);
  });

  it('ok-exit-codes keeps a listed exit code from failing the step, and it is still an output', () => {
    const dir = tempDir();
    const run = runAction({ command: 'audit-workflows', args: 'missing-dir', 'ok-exit-codes': '0,3' }, dir);
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ ok: 'false', exit_code: '3', error_code: 'INPUT_FILE_MISSING' });
  });

  it('working-directory is honoured', () => {
    const dir = tempDir();
    writeFiles(dir, { 'sub/.github/workflows/release.yml': readTemplate('release.yml') });
    const run = runAction({ command: 'audit-workflows', 'working-directory': 'sub' }, dir);
    expect(run.code).toBe(0);
    expect(run.outputs.errors).toBe('0');
  });

  it('secrets in the environment never reach the outputs', () => {
    const dir = tempDir();
    const secret = 'https://hooks.slack.com/services/T000/B000/xoxb-super-secret-token-value';
    // the secret echoed back in an error message must come out redacted
    const run = runAction({ command: 'notify', args: `--event ${secret}` }, dir, {
      SLACK_WEBHOOK_URL: secret,
    });
    expect(run.outputs.error_code).not.toBe('');
    expect(readFileSync(join(dir, 'github-output'), 'utf8')).not.toContain(secret);
    expect(run.stdout).not.toContain(secret);
  });

  it('an unterminated quote in args is a usage error (exit 2)', () => {
    const run = runAction({ command: 'audit-workflows', args: "'oops" }, tempDir());
    expect(run.code).toBe(2);
  });

  it.each(Object.keys(commands))('loads the %s command from its chunk (--help)', (name) => {
    const run = runAction({ command: name, args: '--help' }, tempDir());
    expect(run.stderr).not.toContain('ERR_MODULE_NOT_FOUND');
    expect(run.code).toBe(0);
  });
});
