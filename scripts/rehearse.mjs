// `npm run rehearse [SCENARIO…] [--json] [--verbose]`: bundles the rehearsal (test/rehearsal) with
// esbuild — @actions/workflow-parser imports its JSON schema in a way only a bundler resolves — and
// runs it. Every scenario runs the shipped workflow files through the committed action bundle
// (action/dist): rebuild it (`npm run build:action`) after changing src/.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// inside node_modules, so the bundle's external packages (pg, yaml, @sigstore/*) resolve from it
mkdirSync(join(root, 'node_modules', '.cache'), { recursive: true });
const dir = mkdtempSync(join(root, 'node_modules', '.cache', 'rehearse-'));
const out = join(dir, 'rehearse.bundle.mjs');
try {
  await build({
    absWorkingDir: root,
    entryPoints: ['test/rehearsal/main.ts'],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    outfile: out,
    // the rehearsal's own files keep their paths (bin/, the package root) through this define
    define: { 'import.meta.url': JSON.stringify(`file://${join(root, 'test/rehearsal/main.ts')}`) },
    external: ['pg', '@sigstore/*', 'yaml', 'vitest'],
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    logLevel: 'warning',
  });
  const r = spawnSync(process.execPath, [out, ...process.argv.slice(2)], { stdio: 'inherit', cwd: root });
  process.exitCode = r.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
