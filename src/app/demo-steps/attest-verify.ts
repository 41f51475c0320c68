import { generateKeyPairSync } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isSlsaLedgerError } from '../../errors.js';
import { attestArtifacts, type BuildContext } from '../attest.js';
import { verifyArtifacts } from '../verify.js';
import type { DemoStep } from './types.js';

/** The build the demo pretends happened: a tag push of a local repository. */
export const DEMO_CONTEXT: BuildContext = {
  serverUrl: 'https://github.com',
  repository: 'slsa-ledger/demo',
  ref: 'refs/tags/v1.0.0',
  sha: '5e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b',
  workflowPath: '.github/workflows/release.yml',
  workflowRef: 'refs/tags/v1.0.0',
  runId: '1001',
  runAttempt: '1',
  eventName: 'push',
  builderId: 'https://github.com/slsa-ledger/demo/.github/workflows/release.yml@refs/tags/v1.0.0',
  runnerEnvironment: 'github-hosted',
};

// Creates two artifacts and a throwaway Ed25519 key, attests them, verifies them against a policy,
// then tampers with a copy of one artifact and shows verify rejecting it. Leaves in state.values:
// artifacts, provenancePath, publicKeyPath, privateKeyPath, statementDigest, buildContext.
export const step: DemoStep = {
  title: 'attest and verify: sign SLSA provenance for a release, verify it, reject a tampered artifact',
  async run({ state, logger }) {
    const dir = join(state.workDir, 'release');
    await mkdir(dir, { recursive: true });
    const artifacts = [join(dir, 'demo-linux-amd64.tar.gz'), join(dir, 'demo-darwin-arm64.tar.gz')];
    await writeFile(artifacts[0] ?? '', 'demo release for linux/amd64\n'.repeat(1000));
    await writeFile(artifacts[1] ?? '', 'demo release for darwin/arm64\n'.repeat(1000));
    const keys = generateKeyPairSync('ed25519');
    const privateKeyPath = join(state.workDir, 'demo-signing-key.pem');
    const publicKeyPath = join(state.workDir, 'demo-signing-key.pub');
    await writeFile(privateKeyPath, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }), {
      mode: 0o600,
    });
    await writeFile(publicKeyPath, keys.publicKey.export({ type: 'spki', format: 'pem' }));

    const provenancePath = join(state.workDir, 'provenance.sigstore.json');
    const attested = await attestArtifacts({
      files: artifacts,
      context: DEMO_CONTEXT,
      signing: { kind: 'key', keyPath: privateKeyPath },
      out: provenancePath,
      logger,
    });
    const policy = {
      sourceUri: 'github.com/slsa-ledger/demo',
      sourceTag: 'v1.0.0',
      commit: DEMO_CONTEXT.sha,
    };
    const verified = await verifyArtifacts({
      artifacts,
      provenance: [provenancePath],
      key: publicKeyPath,
      policy,
      logger,
    });

    const tampered = join(state.workDir, 'tampered-demo-linux-amd64.tar.gz');
    await writeFile(tampered, 'demo release for linux/amd64\n'.repeat(999) + 'a backdoor\n');
    let rejection: string;
    try {
      await verifyArtifacts({
        artifacts: [tampered],
        provenance: [provenancePath],
        key: publicKeyPath,
        policy,
        logger,
      });
      throw new Error('the demo expected the tampered artifact to be rejected');
    } catch (error) {
      if (!isSlsaLedgerError(error) || error.code !== 'VERIFY_SUBJECT_DIGEST_MISMATCH') throw error;
      rejection = `${error.code} (exit ${error.exitCode})`;
    }

    state.values.set('artifacts', artifacts);
    state.values.set('provenancePath', provenancePath);
    state.values.set('publicKeyPath', publicKeyPath);
    state.values.set('privateKeyPath', privateKeyPath);
    state.values.set('statementDigest', attested.statementDigest);
    state.values.set('buildContext', DEMO_CONTEXT);
    return [
      `attested ${attested.subjects.length} artifacts → ${provenancePath}`,
      ...attested.subjects.map((s) => `  ${s.sha256}  ${s.name}`),
      `statement sha256 ${attested.statementDigest}, signed with ed25519 key ${attested.signer.kind === 'key' ? attested.signer.keyId.slice(0, 16) : ''}…`,
      `slsa-ledger verify ${verified.verdicts.map((v) => v.artifact.split('/').pop()).join(' ')} --provenance provenance.sigstore.json --key demo-signing-key.pub --source-uri github.com/slsa-ledger/demo --source-tag v1.0.0`,
      ...verified.verdicts.map(
        (v) => `  PASSED ${v.artifact.split('/').pop() ?? ''} (builder ${v.builderId ?? ''})`,
      ),
      `tampered copy ${tampered.split('/').pop() ?? ''}: rejected with ${rejection}`,
    ];
  },
};
