// ESLint flat config. The core must stay pure: no I/O modules, no pg, no imports from io/app/cli.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ioModules = [
  'fs',
  'node:fs',
  'fs/promises',
  'node:fs/promises',
  'child_process',
  'node:child_process',
  'net',
  'node:net',
  'http',
  'node:http',
  'https',
  'node:https',
  'dgram',
  'node:dgram',
  'worker_threads',
  'node:worker_threads',
  'os',
  'node:os',
  'process',
  'node:process',
  'pg',
  '@electric-sql/pglite',
  '@octokit/rest',
  '@octokit/core',
  'playwright-core',
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'coverage/**',
      'node_modules/**',
      'supabase/functions/**',
      'test/fixtures/**',
      'bench/work/**',
      'src/dashboard/assets/**',
      'action/dist/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-exports': [
        'error',
        {
          restrictDefaultExports: {
            direct: true,
            named: true,
            defaultFrom: true,
            namedFrom: true,
            namespaceFrom: true,
          },
        },
      ],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ioModules.map((name) => ({
            name,
            message: 'src/core is pure: do I/O in src/io and pass values in',
          })),
          patterns: [
            {
              group: ['**/io/**', '**/app/**', '**/cli/**'],
              message: 'src/core imports only src/core and src/errors',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'src/core is pure: pass env/time in as arguments' },
        { name: 'fetch', message: 'src/core is pure' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'src/core is pure: take `now: Date` as an argument' },
        { object: 'Math', property: 'random', message: 'src/core is pure: take randomness as an argument' },
      ],
    },
  },
  {
    // config files must default-export
    files: ['**/*.js', '**/*.mjs', 'vitest.config.ts', 'eslint.config.js', 'bench/**'],
    extends: [tseslint.configs.disableTypeChecked],
    // plain JS runs on Node: its globals are known; TypeScript checks the rest
    rules: { 'no-restricted-exports': 'off', 'no-undef': 'off' },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
