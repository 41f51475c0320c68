import type { DemoStep } from './types.js';

// The demo's steps, in chain order. Each area appends its own step module here:
// attest/verify → record/queue/flush/check → validate/notify → ingest/kpi → serve.
export const demoSteps: readonly (() => Promise<{ step: DemoStep }>)[] = [
  () => import('./attest-verify.js'),
  () => import('./ledger.js'),
  () => import('./validate-notify.js'),
  () => import('./ingest-kpi.js'),
  () => import('./serve.js'),
];
