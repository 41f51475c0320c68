// esbuild options shared by the two bundles of the CLI: the executable (`npm run build`,
// scripts/build-cli.mjs) and the GitHub Action (`npm run build:action`, action/build.mjs).
// One bundle loads in a fraction of the time the ~70 separate modules take (sigstore-js alone is
// ~50 CommonJS files), which is most of the CLI's start-up after Node's own.

/** @param {string} root the package root */
export function bundleOptions(root) {
  return {
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // Code splitting keeps each command's code (and its external imports) in a chunk that loads
    // only when that command runs, like the CLI's lazy command registry.
    splitting: true,
    entryNames: '[name]',
    // chunks sit next to the entry, one directory below the package root: the CLI reads
    // ../../package.json, ../../supabase/migrations and ../dashboard/assets relative to its modules
    chunkNames: '[name]-[hash]',
    legalComments: 'none',
    keepNames: true,
    // PGlite loads its WebAssembly next to its module, and playwright-core its browser protocol
    // files: both stay in node_modules and load from there when a command needs them.
    external: ['@electric-sql/pglite', '@electric-sql/pglite/*', 'playwright-core'],
    // yaml's `node` entry is CommonJS, and esbuild's code splitting gives a dynamic
    // `import('yaml')` of CommonJS only a default export (src/cli/config.ts destructures `parse`).
    // Its ESM build (the `default` export condition, pure JavaScript) keeps named exports.
    // jsonc-parser's `main` is a UMD build whose factory `require`s its sibling files at run time,
    // which a bundle cannot resolve; its `module` entry is plain ESM.
    alias: {
      yaml: './node_modules/yaml/browser/index.js',
      'jsonc-parser': './node_modules/jsonc-parser/lib/esm/main.js',
    },
    logLevel: 'warning',
  };
}

/** The banner lines every bundle starts with after its own comment: CommonJS dependencies
 * bundled into ESM call `require` for Node's built-in modules. */
export const requireShim = [
  "import { createRequire as __slsaLedgerCreateRequire } from 'node:module';",
  'const require = __slsaLedgerCreateRequire(import.meta.url);',
];
