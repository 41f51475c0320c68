import { createHash } from 'node:crypto';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { LedgerEntry } from '../../core/ledger/entry.js';
import type { BuildContext } from '../attest.js';
import { checkLedger } from '../check.js';
import { flushQueue } from '../flush.js';
import { recordEntry } from '../record.js';
import { keygen } from '../keygen.js';
import { prepareLedgerSigning } from '../ledger-signing.js';
import { loadCheckerTrust } from '../check-trust.js';
import { createDemoLedger, git } from './demo-ledger.js';
import type { DemoStep } from './types.js';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const nowSeconds = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

const FALLBACK_CONTEXT = {
  serverUrl: 'https://github.com',
  repository: 'slsa-ledger/demo',
  ref: 'refs/tags/v1.0.0',
  sha: '5e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b',
  runId: '1001',
  builderId: 'https://github.com/slsa-ledger/demo/.github/workflows/release.yml@refs/tags/v1.0.0',
};

// A local bare remote as the ledger: record the attested release, push into a release freeze (a
// pre-receive hook) and see the entry queued (exit 75), lift the freeze and flush, then audit the
// history with check. Leaves in state.values: remotePath, clonePath, ledgerEntry, lockDir.
export const step: DemoStep = {
  title: 'record, queue, flush, check: the git ledger on a local bare remote',
  async run({ state, logger }) {
    const { remotePath, clonePath } = await createDemoLedger(state.workDir, 'ledger', '# release ledger\n');
    const lockDir = join(state.workDir, 'locks');
    // every change is signed (docs/trust.md): a key made here, trusted by flush and check
    const key = await keygen({ out: join(state.workDir, 'ledger.key'), force: true });
    const signing = await prepareLedgerSigning({
      writer: 'record',
      signKey: key.privateKeyPath,
      env: { USER: 'release-bot' },
    });
    const trust = await loadCheckerTrust({ cwd: state.workDir, trustKeys: [key.publicKeyPath] });
    await git(clonePath, ['config', 'user.name', 'release-bot']);
    await git(clonePath, ['config', 'user.email', 'release-bot@example.invalid']);

    const context = (state.values.get('buildContext') as BuildContext | undefined) ?? FALLBACK_CONTEXT;
    const tag = context.ref.replace(/^refs\/tags\//, '');
    const runId = Number(context.runId);
    const artifacts = (state.values.get('artifacts') as string[] | undefined) ?? [];
    const provenancePath = state.values.get('provenancePath') as string | undefined;
    let provenance: LedgerEntry['provenance'];
    if (provenancePath !== undefined && artifacts.length > 0) {
      provenance = {
        digest: `sha256:${sha256(await readFile(provenancePath))}`,
        predicate_type: 'https://slsa.dev/provenance/v1',
        builder_id: context.builderId,
        subjects: await Promise.all(
          artifacts.map(async (a) => ({ name: basename(a), sha256: sha256(await readFile(a)) })),
        ),
      };
    }
    const entry: LedgerEntry = {
      run_id: runId,
      tag,
      sha: context.sha,
      artifact_url: `${context.serverUrl}/${context.repository}/releases/download/${tag}/${basename(artifacts[0] ?? 'demo.tar.gz')}`,
      actor: 'release-bot',
      timestamp: nowSeconds(),
      status: 'success',
      governance_flag: 'provenance-ready',
      release_url: `${context.serverUrl}/${context.repository}/releases/tag/${tag}`,
      ...(provenance === undefined ? {} : { provenance }),
    };
    const recorded = await recordEntry({ entry, repoDir: clonePath, lockDir, logger, signing });
    const lines = [
      `slsa-ledger record --entry entry.json --repo ledger --sign-key ledger.key`,
      `  ${recorded.outcome} ${tag} run ${runId} -> ${recorded.path} (commit ${recorded.commit?.slice(0, 12) ?? ''}, sha256 ${recorded.manifest_sha256?.slice(0, 12) ?? ''}…)`,
    ];
    const again = await recordEntry({ entry, repoDir: clonePath, lockDir, logger, signing });
    lines.push(`  the same entry again: ${again.outcome}, no commit`);

    // a release freeze on main: the remote refuses the push, the entry waits in the queue
    const hook = join(remotePath, 'hooks', 'pre-receive');
    await writeFile(
      hook,
      '#!/bin/sh\nwhile read old new ref; do\n  [ "$ref" = refs/heads/main ] && { echo "release freeze: main is closed" >&2; exit 1; }\ndone\nexit 0\n',
    );
    await chmod(hook, 0o755);
    const failed: LedgerEntry = {
      run_id: runId + 1,
      tag,
      sha: context.sha,
      artifact_url: null,
      actor: 'release-bot',
      timestamp: nowSeconds(),
      status: 'failure',
      governance_flag: 'artifact-missing',
      release_url: entry.release_url!,
      failure_reason: 'artifact upload timed out after 3 attempts',
    };
    const queued = await recordEntry({ entry: failed, repoDir: clonePath, lockDir, logger, signing });
    lines.push(
      `freeze hook installed; record ${tag} run ${runId + 1} (failure): ${queued.outcome} (exit 75)`,
      `  reason: ${queued.queue?.reason ?? ''}`,
      `  queued in ${queued.queue?.path.replace(`${state.workDir}/`, '') ?? ''}${queued.queue?.branch_pushed ? ' and on branch provenance-queue' : ''}`,
    );

    await rm(hook);
    const flushed = await flushQueue({
      repoDir: clonePath,
      lockDir,
      logger,
      signing,
      ...(trust === undefined ? {} : { trust }),
    });
    lines.push(`freeze lifted; slsa-ledger flush: ${flushed.landed} landed, ${flushed.remaining} remaining`);

    const audit = await checkLedger({
      repoDir: remotePath,
      ref: 'main',
      logger,
      ...(trust === undefined ? {} : { trust }),
    });
    lines.push(
      `slsa-ledger check --trust-key ledger.pub: ${audit.ok ? 'ok' : `${audit.findings.length} findings (${audit.findings.map((f) => f.code).join(', ')})`} (${audit.files} file(s), ${audit.entries} entries, ${audit.commits} commits with trailers; every change signed with key ${key.keyId.slice(0, 12)}…)`,
    );
    await git(clonePath, ['pull', '-q', '--ff-only', 'origin', 'main']);

    state.values.set('remotePath', remotePath);
    state.values.set('clonePath', clonePath);
    state.values.set('lockDir', lockDir);
    state.values.set('ledgerEntry', entry);
    return lines;
  },
};
