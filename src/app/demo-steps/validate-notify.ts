import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LedgerEntry } from '../../core/ledger/entry.js';
import { isSlsaLedgerError } from '../../errors.js';
import type { BuildContext } from '../attest.js';
import { recordEntry } from '../record.js';
import { validateRelease } from '../validate.js';
import { createDemoLedger, git } from './demo-ledger.js';
import type { DemoStep } from './types.js';

interface Received {
  readonly path: string;
  readonly body: { text?: string };
}

/** A local stand-in for Slack's incoming webhook: answers `ok` and keeps what it received. */
async function startReceiver(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        received.push({
          path: req.url ?? '',
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as { text?: string },
        });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      } catch {
        res.writeHead(400).end('invalid_payload');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/TDEMO/BDEMO/demo-webhook-secret`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// validate --record on the demo's entry (the key-signed provenance and public key of the attest
// step, the clone and bare remote of the ledger step), then a failing validation of a tampered
// artifact whose alert goes to a local Slack receiver; prints what the receiver got.
export const step: DemoStep = {
  title: 'validate and notify: security CI re-verifies the release, records the verdict, alerts on a failure',
  async run({ state, logger }) {
    const artifacts = state.values.get('artifacts') as string[] | undefined;
    const provenancePath = state.values.get('provenancePath') as string | undefined;
    const publicKeyPath = state.values.get('publicKeyPath') as string | undefined;
    const context = state.values.get('buildContext') as BuildContext | undefined;
    if (
      artifacts === undefined ||
      provenancePath === undefined ||
      publicKeyPath === undefined ||
      context === undefined
    ) {
      return ['skipped: the attest step left no provenance'];
    }
    const lines: string[] = [];
    const tag = context.ref.replace(/^refs\/tags\//, '');
    const lockDir = join(state.workDir, 'locks');
    let clonePath = state.values.get('clonePath') as string | undefined;
    if (clonePath === undefined) {
      // run on its own: make the ledger the earlier step would have made
      const created = await createDemoLedger(state.workDir, 'validate-ledger', '# demo ledger\n');
      clonePath = created.clonePath;
      const entry: LedgerEntry = {
        run_id: Number(context.runId),
        tag,
        sha: context.sha,
        artifact_url: `${context.serverUrl}/${context.repository}/actions/runs/${context.runId}/artifacts/1`,
        actor: 'demo',
        timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        status: 'success',
        governance_flag: 'provenance-ready',
        release_url: `${context.serverUrl}/${context.repository}/releases/tag/${tag}`,
      };
      await recordEntry({ entry, repoDir: clonePath, lockDir, logger });
      lines.push(`recorded ${tag} run ${context.runId} into a fresh ledger (no ledger step ran)`);
    }
    // record writes at the remote head, never in the work tree: bring the clone up to date
    await git(clonePath, ['pull', '-q', '--ff-only', 'origin', 'main']);

    const policy = {
      sourceUri: `${new URL(context.serverUrl).host}/${context.repository}`,
      builderId: `${context.serverUrl}/${context.repository}/${context.workflowPath}`,
    };
    const passed = await validateRelease({
      tag,
      runId: Number(context.runId),
      repo: clonePath,
      artifacts,
      provenance: [provenancePath],
      key: publicKeyPath,
      policy,
      validatorRunId: 2001,
      record: async (entry) => {
        const r = await recordEntry({ entry, repoDir: clonePath, lockDir, logger });
        return { outcome: r.outcome, queued: r.outcome === 'queued', commit: r.commit };
      },
      logger,
    });
    lines.push(
      `validate --record: ${passed.status}, ${passed.verdicts.length} artifact(s) verified against ${passed.policy.sourceUri} (tag ${tag}, commit ${passed.policy.commit?.slice(0, 12) ?? ''}…)`,
      `verdict recorded: governance_flag validated, validation.status ${passed.validation?.status ?? ''} (${passed.recorded?.outcome ?? ''} ${passed.recorded?.commit?.slice(0, 12) ?? ''})`,
    );

    const receiver = await startReceiver();
    try {
      const tampered = join(state.workDir, 'validate-tampered', 'artifact.tar.gz');
      await mkdir(join(state.workDir, 'validate-tampered'), { recursive: true });
      await copyFile(artifacts[0] ?? '', tampered);
      await writeFile(tampered, Buffer.concat([await readFile(tampered), Buffer.from('a backdoor\n')]));
      try {
        await validateRelease({
          tag,
          runId: Number(context.runId),
          repo: clonePath,
          artifacts: [tampered],
          provenance: [provenancePath],
          key: publicKeyPath,
          policy,
          escalate: {
            webhookUrl: receiver.url,
            logPath: join(state.workDir, 'out/provenance/notifications.jsonl'),
          },
          logger,
        });
        throw new Error('the demo expected the tampered artifact to fail validation');
      } catch (error) {
        if (!isSlsaLedgerError(error) || error.category !== 'verification') throw error;
        lines.push(`validate (tampered artifact): ${error.code}, exit ${error.exitCode}`);
      }
      lines.push(`the local Slack receiver got ${receiver.received.length} message(s):`);
      for (const m of receiver.received) lines.push(`  ${m.body.text ?? ''}`);
      lines.push(`attempts logged in ${join(state.workDir, 'out/provenance/notifications.jsonl')}`);
    } finally {
      await receiver.close();
    }
    return lines;
  },
};
