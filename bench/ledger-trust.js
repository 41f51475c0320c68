// Ledger trust bench (issue 14 item 4, performance): the pure trust audit over a ledger of 10,000
// signed entries (10 days × 1,000, one signed record each) — strict parse of every log line,
// signature over the DSSE PAE, strict statement parse, policy, chain, current bytes — against a raw
// `crypto.verify` loop over the same 10,000 signatures with the same key object (the floor: what
// verifying alone costs), in the same process. Key mode ed25519 and ECDSA P-256; goal ≥ 2,000
// transitions/s. Keyless: N transitions signed against a local Fulcio and Rekor (@sigstore/mock),
// audited, against `verify` in batch mode (verifyArtifacts) over N provenance bundles signed the
// same way; goal: at least the batch verify rate.
// Runs against dist/. BENCH_SCALE=small: 1,000 entries and 40 keyless bundles (full: 10,000 and 200).
import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fulcioHandler, initializeCA, initializeCTLog, initializeTLog, rekorHandler } from '@sigstore/mock';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = join(root, 'bench/work/ledger-trust');
const small = process.env.BENCH_SCALE === 'small';
const ENTRIES = Number(process.env.BENCH_TRUST_ENTRIES ?? (small ? 1_000 : 10_000));
const DAYS = 10;
const KEYLESS = Number(process.env.BENCH_TRUST_KEYLESS ?? (small ? 40 : 200));
const ROUNDS = Number(process.env.BENCH_TRUST_ROUNDS ?? (small ? 3 : 5));
const LOCATION = { repository: 'acme/ledger', branch: 'ledger' };
const sha256 = (data) => createHash('sha256').update(data).digest('hex');

function entry(day, i) {
  const tag = `v2025.11.${String(i).padStart(6, '0')}`;
  return {
    run_id: 100_000 + i,
    tag,
    sha: (i.toString(16).padStart(8, '0') + 'a'.repeat(32)).slice(0, 40),
    artifact_url: `https://github.com/acme/app/releases/download/${tag}/app.tar.gz`,
    actor: 'release-bot',
    timestamp: `2025-11-${String(day).padStart(2, '0')}T${String(Math.floor(i / 3600) % 24).padStart(2, '0')}:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z`,
    status: 'success',
    governance_flag: 'provenance-ready',
    release_url: `https://github.com/acme/app/releases/tag/${tag}`,
  };
}

/** best-of-rounds seconds of fn, interleaved with the baseline by the caller */
function timeOnce(fn) {
  const t0 = performance.now();
  const out = fn();
  return { seconds: (performance.now() - t0) / 1000, out };
}

async function buildKeyLedger(m, type, signer) {
  const days = [];
  const sigs = [];
  const perDay = Math.ceil(ENTRIES / DAYS);
  let n = 0;
  for (let d = 0; d < DAYS && n < ENTRIES; d++) {
    const day = 10 + d;
    const path = `docs/reports/2025-11-${day}/manifest.json`;
    const entries = [];
    const lines = [];
    for (let i = 0; i < perDay && n < ENTRIES; i++, n++) {
      const e = m.entry.canonicalEntry(entry(day, n));
      entries.push(e);
      const statement = m.transition.buildTransitionStatement({
        kind: 'record',
        previous: null,
        state: e,
        writer: {
          actor: 'release-bot',
          run_id: 5000 + n,
          run_attempt: 1,
          workflow_ref: 'acme/app/.github/workflows/provenance.yml@refs/heads/main',
        },
        time: new Date(Date.UTC(2025, 10, day, 12)),
        ledger: { ...LOCATION, path },
      });
      const signed = await m.sign.signTransition(statement, signer);
      lines.push(signed.line);
      const env = signed.bundle.dsseEnvelope;
      const payload = Buffer.from(env.payload, 'base64');
      sigs.push({
        pae: m.dsse.computePae(env.payloadType, payload),
        sig: Buffer.from(env.signatures[0].sig, 'base64'),
      });
    }
    days.push({ path, manifest: m.entry.serializeManifest(entries), transitions: lines.join('') });
  }
  return { days, sigs, type };
}

async function keyMode(m, type, log) {
  const pair =
    type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyId = m.keyId.computeKeyId(pair.publicKey);
  const alg = type === 'ed25519' ? null : 'sha256';
  const signer = {
    mode: 'key',
    keyId,
    signDsse: async (payloadType, payload) =>
      m.bundle.buildKeySignedBundle({
        payloadType,
        payload,
        keyId,
        signature: sign(alg, m.dsse.computePae(payloadType, payload), pair.privateKey),
      }),
  };
  log(`${type}: signing ${ENTRIES} transitions`);
  const { days, sigs } = await buildKeyLedger(m, type, signer);
  const trusted = { keyObject: pair.publicKey, keyId };
  const policy = m.policy.resolveTrustPolicy(undefined, { trustKeys: [trusted] });
  const material = { keys: policy.keys };
  const runAudit = () => {
    const r = m.audit.auditLedgerTrust({ days, policy, material, location: LOCATION });
    if (r.findings.length !== 0 || r.verified !== ENTRIES)
      throw new Error(`bench: audit found ${r.findings.length} problems`);
    return r;
  };
  const runRaw = () => {
    let ok = 0;
    for (const s of sigs) if (verify(alg, s.pae, pair.publicKey, s.sig)) ok++;
    if (ok !== ENTRIES) throw new Error('bench: raw verify failed');
  };
  runAudit();
  runRaw();
  let audit = Infinity;
  let raw = Infinity;
  for (let i = 0; i < ROUNDS; i++) {
    audit = Math.min(audit, timeOnce(runAudit).seconds);
    raw = Math.min(raw, timeOnce(runRaw).seconds);
  }
  const auditRate = ENTRIES / audit;
  const rawRate = ENTRIES / raw;
  log(`${type}: audit ${auditRate.toFixed(0)}/s, crypto.verify ${rawRate.toFixed(0)}/s`);
  return [
    {
      metric: `key mode ${type}: audit of ${ENTRIES} signed transitions`,
      value: Math.round(auditRate),
      unit: 'transitions/s',
      goal: '≥ 2000',
      met: auditRate >= 2000,
    },
    {
      metric: `key mode ${type}: crypto.verify alone (baseline)`,
      value: Math.round(rawRate),
      unit: 'signatures/s',
    },
    {
      metric: `key mode ${type}: audit / crypto.verify`,
      value: Number((auditRate / rawRate).toFixed(2)),
      unit: '×',
    },
  ];
}

// ---- keyless: a local Sigstore, as bench/sigstore.js and test/support/sigstore-mock.ts build it ----

function listen(routes) {
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const route = routes[(req.url ?? '').split('?')[0]];
      if (req.method !== 'POST' || route === undefined) return void res.writeHead(404).end();
      route(Buffer.concat(chunks).toString('utf8')).then(
        ({ statusCode, response, contentType }) => {
          res.writeHead(statusCode, { 'Content-Type': contentType ?? 'text/plain' });
          res.end(
            typeof response === 'string'
              ? response
              : Buffer.from(response.buffer, response.byteOffset, response.byteLength),
          );
        },
        (error) => res.writeHead(500).end(String(error)),
      );
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${server.address().port}` }),
    ),
  );
}

async function startLocalSigstore() {
  const ec = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const [caKeys, ctKeys, tlogKeys] = [ec(), ec(), ec()];
  const ctLog = await initializeCTLog(ctKeys);
  const ca = await initializeCA(caKeys, ctLog);
  const fulcio = fulcioHandler(ca);
  const rekor = {};
  const fulcioServer = await listen({ [fulcio.path]: fulcio.fn });
  const rekorServer = await listen({
    // real Rekor stores the canonical dsse entry, not the proposed one
    '/api/v1/log/entries': (body) => {
      const p = JSON.parse(body);
      const env = JSON.parse(p.spec.proposedContent.envelope);
      return rekor.fn(
        JSON.stringify({
          apiVersion: p.apiVersion,
          kind: p.kind,
          spec: {
            envelopeHash: { algorithm: 'sha256', value: sha256(p.spec.proposedContent.envelope) },
            payloadHash: { algorithm: 'sha256', value: sha256(Buffer.from(env.payload, 'base64')) },
            signatures: env.signatures.map((s) => ({
              signature: s.sig,
              verifier: p.spec.proposedContent.verifiers[0],
            })),
          },
        }),
      );
    },
  });
  rekor.fn = rekorHandler(await initializeTLog(rekorServer.url, tlogKeys)).fn;
  const spki = (k) => k.export({ format: 'der', type: 'spki' });
  const b64 = (v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  const start = '2020-01-01T00:00:00.000Z';
  const pk = (k) => ({
    rawBytes: spki(k.publicKey).toString('base64'),
    keyDetails: 'PKIX_ECDSA_P256_SHA_256',
    validFor: { start },
  });
  return {
    fulcioUrl: fulcioServer.url,
    rekorUrl: rekorServer.url,
    trustedRoot: {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [
        {
          baseUrl: rekorServer.url,
          hashAlgorithm: 'SHA2_256',
          publicKey: pk(tlogKeys),
          logId: { keyId: createHash('sha256').update(spki(tlogKeys.publicKey)).digest('base64') },
        },
      ],
      certificateAuthorities: [
        {
          subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
          uri: fulcioServer.url,
          certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
          validFor: { start },
        },
      ],
      ctlogs: [
        {
          baseUrl: fulcioServer.url,
          hashAlgorithm: 'SHA2_256',
          publicKey: pk(ctKeys),
          logId: { keyId: b64(ctLog.logID) },
        },
      ],
      timestampAuthorities: [],
    },
    close: () =>
      Promise.all([fulcioServer.server, rekorServer.server].map((s) => new Promise((r) => s.close(r)))),
  };
}

function identityToken(workflowFile) {
  const ref = 'refs/heads/main';
  const jobWorkflowRef = `acme/app/.github/workflows/${workflowFile}@${ref}`;
  const claims = {
    iss: 'https://token.actions.githubusercontent.com',
    sub: `https://github.com/${jobWorkflowRef}`,
    aud: 'sigstore',
    repository: 'acme/app',
    ref,
    sha: 'a'.repeat(40),
    event_name: 'push',
    job_workflow_ref: jobWorkflowRef,
  };
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc({ alg: 'none' })}.${enc(claims)}.`;
}

function provenance(name, digest) {
  const builder = 'https://github.com/acme/app/.github/workflows/provenance.yml';
  return Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name, digest: { sha256: digest } }],
      predicateType: 'https://slsa.dev/provenance/v1',
      predicate: {
        buildDefinition: {
          buildType: 'https://actions.github.io/buildtypes/workflow/v1',
          externalParameters: {
            workflow: {
              ref: 'refs/heads/main',
              repository: 'https://github.com/acme/app',
              path: '.github/workflows/provenance.yml',
            },
          },
          internalParameters: { github: { event_name: 'push' } },
          resolvedDependencies: [
            { uri: 'git+https://github.com/acme/app@refs/heads/main', digest: { gitCommit: 'a'.repeat(40) } },
          ],
        },
        runDetails: { builder: { id: `${builder}@refs/heads/main` }, metadata: {} },
      },
    }),
  );
}

async function keylessMode(m, log) {
  const sigstore = await startLocalSigstore();
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, 'bundles'), { recursive: true });
  try {
    writeFileSync(join(work, 'trusted_root.json'), JSON.stringify(sigstore.trustedRoot));
    const signer = m.signer.createSigstoreBundleSigner({
      fulcioUrl: sigstore.fulcioUrl,
      rekorUrl: sigstore.rekorUrl,
      identityToken: () => Promise.resolve(identityToken('provenance.yml')),
      retries: 0,
    });
    log(
      `keyless: signing ${KEYLESS} transitions and ${KEYLESS} provenance bundles against a local fulcio and rekor`,
    );
    const path = 'docs/reports/2025-11-24/manifest.json';
    const entries = [];
    const lines = [];
    const artifacts = [];
    for (let i = 0; i < KEYLESS; i++) {
      const e = m.entry.canonicalEntry(entry(24, i));
      entries.push(e);
      const statement = m.transition.buildTransitionStatement({
        kind: 'record',
        previous: null,
        state: e,
        writer: {
          actor: 'release-bot',
          run_id: 5000 + i,
          run_attempt: 1,
          workflow_ref: 'acme/app/.github/workflows/provenance.yml@refs/heads/main',
        },
        time: new Date(Date.UTC(2025, 10, 24, 12)),
        ledger: { ...LOCATION, path },
      });
      lines.push((await m.sign.signTransition(statement, signer)).line);
      const name = `artifact-${String(i).padStart(4, '0')}.bin`;
      const data = Buffer.from(`artifact ${i}\n`.repeat(64));
      writeFileSync(join(work, name), data);
      artifacts.push(join(work, name));
      const bundle = await signer.signDsse('application/vnd.in-toto+json', provenance(name, sha256(data)));
      writeFileSync(join(work, 'bundles', `${name}.sigstore.json`), JSON.stringify(bundle));
    }
    const days = [{ path, manifest: m.entry.serializeManifest(entries), transitions: lines.join('') }];
    const document = m.policy.parseTrustPolicy(
      {
        signers: { p: { workflow: 'acme/app/.github/workflows/provenance.yml', ref: 'refs/heads/main' } },
        record: ['p'],
      },
      'bench',
    );
    const policy = m.policy.resolveTrustPolicy(document);
    const material = { keys: policy.keys, sigstore: { trustedRoot: sigstore.trustedRoot } };
    const runAudit = () => {
      const r = m.audit.auditLedgerTrust({ days, policy, material, location: LOCATION });
      if (r.findings.length !== 0 || r.verified !== KEYLESS)
        throw new Error(`bench: keyless audit found ${JSON.stringify(r.findings[0])}`);
    };
    const verifyPolicy = {
      sourceUri: 'github.com/acme/app',
      builderId: 'https://github.com/acme/app/.github/workflows/provenance.yml',
      sourceBranch: 'main',
    };
    const runVerify = async () => {
      const r = await m.verify.verifyArtifacts({
        artifacts,
        provenance: [join(work, 'bundles')],
        policy: verifyPolicy,
        trustedRoot: join(work, 'trusted_root.json'),
        offline: true,
      });
      if (!r.ok || r.verdicts.length !== KEYLESS)
        throw new Error(`bench: batch verify failed: ${JSON.stringify(r.verdicts?.[0] ?? r).slice(0, 600)}`);
    };
    runAudit();
    await runVerify();
    let audit = Infinity;
    let batch = Infinity;
    for (let i = 0; i < ROUNDS; i++) {
      audit = Math.min(audit, timeOnce(runAudit).seconds);
      const t0 = performance.now();
      await runVerify();
      batch = Math.min(batch, (performance.now() - t0) / 1000);
    }
    const auditRate = KEYLESS / audit;
    const batchRate = KEYLESS / batch;
    log(`keyless: audit ${auditRate.toFixed(0)}/s, verify batch ${batchRate.toFixed(0)}/s`);
    return [
      {
        metric: `keyless: audit of ${KEYLESS} signed transitions`,
        value: Math.round(auditRate),
        unit: 'transitions/s',
      },
      {
        metric: `keyless: verify --provenance DIR batch (baseline)`,
        value: Math.round(batchRate),
        unit: 'bundles/s',
      },
      {
        metric: 'keyless: audit / verify batch',
        value: Number((auditRate / batchRate).toFixed(2)),
        unit: '×',
        goal: '≥ 1',
        met: auditRate >= batchRate,
      },
    ];
  } finally {
    await sigstore.close();
    rmSync(work, { recursive: true, force: true });
  }
}

export async function runLedgerTrustBench({ log }) {
  const m = {
    audit: await import('../dist/core/ledger-trust/audit.js'),
    policy: await import('../dist/core/ledger-trust/policy.js'),
    sign: await import('../dist/core/ledger-trust/sign.js'),
    transition: await import('../dist/core/ledger-trust/transition.js'),
    entry: await import('../dist/core/ledger/entry.js'),
    dsse: await import('../dist/core/provenance/dsse.js'),
    bundle: await import('../dist/core/provenance/bundle.js'),
    keyId: await import('../dist/core/verify/key-id.js'),
    signer: await import('../dist/io/ledger-signer.js'),
    verify: await import('../dist/app/verify.js'),
  };
  return [
    ...(await keyMode(m, 'ed25519', log)),
    ...(await keyMode(m, 'p256', log)),
    ...(await keylessMode(m, log)),
  ];
}
