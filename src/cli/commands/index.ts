import type { CommandModule } from '../command.js';

export interface CommandEntry {
  readonly summary: string;
  /** commands load lazily so `--version` and `--help` stay fast */
  readonly load: () => Promise<{ command: CommandModule }>;
}

/** Every subcommand, in the order `slsa-ledger --help` lists them. */
export const commands: Readonly<Record<string, CommandEntry>> = {
  attest: { summary: 'hash artifacts and write signed SLSA provenance', load: () => import('./attest.js') },
  verify: { summary: 'verify artifacts against provenance and a policy', load: () => import('./verify.js') },
  keygen: {
    summary: 'make an ed25519 or p-256 key pair for key-signed mode, with its key id',
    load: () => import('./keygen.js'),
  },
  record: {
    summary: 'merge a manifest entry into the git ledger and push it',
    load: () => import('./record.js'),
  },
  flush: {
    summary: 'replay queued entries; remove only those that landed',
    load: () => import('./flush.js'),
  },
  check: { summary: 'audit the ledger: schema, order, bytes, history', load: () => import('./check.js') },
  validate: {
    summary: 'security CI: verify a ledger entry and record the verdict',
    load: () => import('./validate.js'),
  },
  migrate: { summary: 'apply the SQL migrations', load: () => import('./migrate.js') },
  ingest: { summary: 'load the ledger into Postgres or Supabase', load: () => import('./ingest.js') },
  kpi: { summary: 'print the audit metrics', load: () => import('./kpi.js') },
  serve: { summary: 'KPI dashboard and read-only JSON API', load: () => import('./serve.js') },
  dispatch: {
    summary: 'trigger the provenance workflow and report run id and token expiry',
    load: () => import('./dispatch.js'),
  },
  notify: {
    summary: 'send an alert to Slack and, optionally, a GitHub issue',
    load: () => import('./notify.js'),
  },
  signoff: {
    summary: 'check the ops sign-off (a Jira issue) before a release is published',
    load: () => import('./signoff.js'),
  },
  'audit-workflows': {
    summary: 'check GitHub workflows against the role matrix',
    load: () => import('./audit-workflows.js'),
  },
  init: {
    summary: 'install the workflows, config, migrations and docs into a repository',
    load: () => import('./init.js'),
  },
  demo: { summary: 'run the whole chain locally on embedded defaults', load: () => import('./demo.js') },
};
