import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { onTestFinished } from 'vitest';
import type * as WorkflowParser from '@actions/workflow-parser';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const templatesDir = join(repoRoot, 'workflows');
export const templateNames = [
  'ledger-check.yml',
  'manifest-ingest.yml',
  'notify-on-failure.yml',
  'provenance-validate.yml',
  'release.yml',
  'slsa-provenance.yml',
];

export function readTemplate(name: string): string {
  return readFileSync(join(templatesDir, name), 'utf8');
}

/** A temporary directory removed when the test ends. */
export function tempDir(prefix = 'slsa-ledger-wf-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
}

/** Replaces `from` (which must occur) once — the first occurrence — and returns the new text. */
export function mutate(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at === -1) throw new Error(`mutation anchor not found: ${from}`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

/** 1-based line of the first occurrence of `needle`. */
export function lineOf(text: string, needle: string): number {
  const at = text.indexOf(needle);
  if (at === -1) throw new Error(`not found: ${needle}`);
  return text.slice(0, at).split('\n').length;
}

/**
 * Loads @actions/workflow-parser. The package imports its JSON schema without an import attribute,
 * which Node rejects outside a bundler; esbuild bundles it (JSON included) into one ESM file.
 */
export async function loadWorkflowParser(): Promise<typeof WorkflowParser> {
  const { build } = await import('esbuild');
  const out = join(mkdtempSync(join(tmpdir(), 'slsa-ledger-wp-')), 'workflow-parser.mjs');
  await build({
    stdin: { contents: "export * from '@actions/workflow-parser';", resolveDir: repoRoot },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: out,
    logLevel: 'error',
  });
  try {
    return (await import(pathToFileURL(out).href)) as typeof WorkflowParser;
  } finally {
    rmSync(dirname(out), { recursive: true, force: true });
  }
}
