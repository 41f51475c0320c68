// A local Sigstore for tests: @sigstore/mock's CA, CT log and transparency log behind real
// node:http servers on 127.0.0.1:0, and the trusted_root.json that trusts exactly them.
//
// Adaptations, kept here and never in production code:
// - the mock's high-level helpers (mockFulcio/mockRekor) hide their keys and intercept with nock;
//   we build the pieces from its lower-level exports with keys we generate, so we can write the
//   trusted root;
// - the mock Rekor stores a `dsse` proposed entry as sent, whereas real Rekor stores the canonical
//   form (envelope hash, payload hash, signatures with verifiers); we transform the request
//   before handing it to the mock's handler, as Rekor would.
import { createECDH, createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  fulcioHandler,
  initializeCA,
  initializeCTLog,
  initializeTLog,
  initializeTSA,
  rekorHandler,
  tsaHandler,
} from '@sigstore/mock';
import type { HandlerFn } from '@sigstore/mock';

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

export interface LocalSigstoreOptions {
  /** the CA's clock (certificate validity starts here); default now */
  readonly caClock?: Date;
  /** the transparency log's clock (integrated time); default now */
  readonly tlogClock?: Date;
  /** also run an RFC 3161 timestamp authority (trusted in the trusted root) */
  readonly withTsa?: boolean;
}

export interface LocalSigstore {
  readonly fulcioUrl: string;
  readonly rekorUrl: string;
  /** set when started `withTsa` */
  readonly tsaUrl?: string;
  /** trusted_root.json (parsed) trusting this CA, CT log and transparency log */
  readonly trustedRoot: Record<string, unknown>;
  /** requests the servers received, by path */
  readonly requests: string[];
  close(): Promise<void>;
}

interface KeyPair {
  publicKey: KeyObject;
  privateKey: KeyObject;
}

/**
 * A P-256 key pair for the mock's CA, CT log, Rekor and TSA, made without a key-generation job.
 * @sigstore/mock exports each key as JWK, and on Node 20 a garbage collection during that export
 * can run the destructor of the `generateKeyPairSync` job that made the key, which takes the lock
 * the export already holds on it: the process waits on itself forever (seen once in `npm run
 * rehearse`, twenty-first session; gdb: ExportJWKEcKey → GC → ~KeyGenJob → uv_mutex_lock). ECDH
 * makes the numbers and the keys are imported from them: no job, no shared lock.
 */
function ecKeyPair(): KeyPair {
  const ecdh = createECDH('prime256v1');
  const point = ecdh.generateKeys(); // 0x04 ‖ x ‖ y
  const jwk = {
    kty: 'EC',
    crv: 'P-256',
    x: point.subarray(1, 33).toString('base64url'),
    y: point.subarray(33, 65).toString('base64url'),
  };
  const scalar = ecdh.getPrivateKey(); // without its leading zero bytes: JWK wants all 32
  const d = Buffer.concat([Buffer.alloc(32 - scalar.length), scalar]).toString('base64url');
  return {
    privateKey: createPrivateKey({ key: { ...jwk, d }, format: 'jwk' }),
    publicKey: createPublicKey({ key: jwk, format: 'jwk' }),
  };
}

function bytes(view: ArrayBufferView): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

function spki(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'spki' });
}

function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: `http://127.0.0.1:${port}` });
    });
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function serve(routes: Record<string, HandlerFn>, requests: string[]) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    requests.push(`${req.method ?? ''} ${path}`);
    const route = req.method === 'POST' ? routes[path] : undefined;
    if (route === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    void readBody(req)
      .then((body) => route(body))
      .then(({ statusCode, response, contentType }) => {
        res.writeHead(statusCode, { 'Content-Type': contentType ?? 'text/plain' });
        res.end(typeof response === 'string' ? response : bytes(response));
      })
      .catch((error: unknown) => {
        res.writeHead(500).end(String(error));
      });
  };
}

/** What real Rekor stores for a `dsse` 0.0.1 proposed entry (pkg/types/dsse/v0.0.1). */
export function canonicalDsseEntry(proposed: {
  apiVersion: string;
  kind: string;
  spec: { proposedContent: { envelope: string; verifiers: string[] } };
}): object {
  const envelope = JSON.parse(proposed.spec.proposedContent.envelope) as {
    payload: string;
    signatures: { sig: string }[];
  };
  const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
  return {
    apiVersion: proposed.apiVersion,
    kind: proposed.kind,
    spec: {
      envelopeHash: { algorithm: 'sha256', value: sha256(proposed.spec.proposedContent.envelope) },
      payloadHash: { algorithm: 'sha256', value: sha256(Buffer.from(envelope.payload, 'base64')) },
      signatures: envelope.signatures.map((s, i) => ({
        signature: s.sig,
        verifier: proposed.spec.proposedContent.verifiers[i] ?? proposed.spec.proposedContent.verifiers[0],
      })),
    },
  };
}

/** Starts a local Fulcio (CA + CT log) and Rekor on 127.0.0.1; close() stops them. */
export async function startLocalSigstore(options: LocalSigstoreOptions = {}): Promise<LocalSigstore> {
  const requests: string[] = [];
  const caKeys = ecKeyPair();
  const ctKeys = ecKeyPair();
  const tlogKeys = ecKeyPair();
  const ctLog = await initializeCTLog(ctKeys, options.caClock);
  const ca = await initializeCA(caKeys, ctLog, options.caClock);
  const fulcio = fulcioHandler(ca);

  const rekor: { fn?: HandlerFn } = {};
  const rekorRoute: HandlerFn = async (body) => {
    const proposed = JSON.parse(body) as Parameters<typeof canonicalDsseEntry>[0];
    const stored = proposed.kind === 'dsse' ? canonicalDsseEntry(proposed) : proposed;
    if (rekor.fn === undefined) throw new Error('rekor not ready');
    return rekor.fn(JSON.stringify(stored));
  };
  const fulcioServer = await listen(serve({ [fulcio.path]: fulcio.fn }, requests));
  const rekorServer = await listen(serve({ '/api/v1/log/entries': rekorRoute }, requests));
  const tlog = await initializeTLog(rekorServer.url, tlogKeys, options.tlogClock);
  rekor.fn = rekorHandler(tlog).fn;

  const tsaKeys = ecKeyPair();
  const tsa = options.withTsa === true ? await initializeTSA(tsaKeys, options.caClock) : undefined;
  if (tsa !== undefined) {
    // The mock TSA encodes genTime with asn1js, which strips a fraction's trailing zeros
    // (`.52Z`), while @sigstore/core parses only a three-digit fraction (`(\.\d{3})?Z`, RFC 5280
    // style): one timestamp in ten failed as "invalid time". Real TSAs (sigstore's timestamp-
    // authority) write whole seconds or three digits. Never a zero in the last digit, then.
    const mock = tsa as unknown as { getCurrentTime: () => Date };
    const clock = mock.getCurrentTime;
    mock.getCurrentTime = () => {
      const d = new Date(clock().getTime());
      if (d.getUTCMilliseconds() % 10 === 0) d.setUTCMilliseconds(d.getUTCMilliseconds() + 1);
      return d;
    };
  }
  const tsaRoute = tsa === undefined ? undefined : tsaHandler(tsa);
  const tsaServer =
    tsaRoute === undefined ? undefined : await listen(serve({ [tsaRoute.path]: tsaRoute.fn }, requests));

  const start = new Date(Date.UTC(2020, 0, 1)).toISOString();
  const tlogSpki = spki(tlogKeys.publicKey);
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: rekorServer.url,
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: tlogSpki.toString('base64'),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          validFor: { start },
        },
        logId: { keyId: createHash('sha256').update(tlogSpki).digest('base64') },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: fulcioServer.url,
        certChain: { certificates: [{ rawBytes: bytes(ca.rootCertificate).toString('base64') }] },
        validFor: { start },
      },
    ],
    ctlogs: [
      {
        baseUrl: fulcioServer.url,
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: spki(ctKeys.publicKey).toString('base64'),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          validFor: { start },
        },
        logId: { keyId: bytes(ctLog.logID).toString('base64') },
      },
    ],
    timestampAuthorities:
      tsa === undefined || tsaServer === undefined
        ? []
        : [
            {
              subject: { organization: 'sigstore.mock', commonName: 'tsa' },
              uri: tsaServer.url,
              certChain: {
                certificates: [
                  { rawBytes: bytes(tsa.intCertificate).toString('base64') },
                  { rawBytes: bytes(tsa.rootCertificate).toString('base64') },
                ],
              },
              validFor: { start },
            },
          ],
  };

  return {
    fulcioUrl: fulcioServer.url,
    rekorUrl: rekorServer.url,
    ...(tsaServer === undefined ? {} : { tsaUrl: tsaServer.url }),
    trustedRoot,
    requests,
    close: async () => {
      await Promise.all(
        [fulcioServer.server, rekorServer.server, ...(tsaServer === undefined ? [] : [tsaServer.server])].map(
          (server) => new Promise<void>((resolve) => server.close(() => resolve())),
        ),
      );
    },
  };
}

/** The GitHub Actions claims that Fulcio turns into certificate extensions. */
export interface GithubClaims {
  readonly iss?: string;
  /** the certificate SAN: the signing workflow `https://github.com/o/r/.github/workflows/x.yml@ref` */
  readonly workflowUri: string;
  /** `o/r` */
  readonly repository: string;
  readonly ref: string;
  readonly sha: string;
  readonly eventName?: string;
  /** `repository_owner`: Fulcio's source repository owner URI (1.3.6.1.4.1.57264.1.16); omitted when not given */
  readonly repositoryOwner?: string;
  /**
   * `run_id` / `run_attempt`: with `repository`, Fulcio's Run Invocation URI (1.3.6.1.4.1.57264.1.21,
   * `https://github.com/OWNER/REPO/actions/runs/RUN/attempts/N`); omitted when not given
   */
  readonly runId?: number;
  readonly runAttempt?: number;
}

/**
 * An unsigned JWT with GitHub Actions claims: the mock Fulcio decodes without verifying, and
 * takes the `sub` claim as the SAN (real Fulcio derives it from `job_workflow_ref`).
 */
export function githubIdentityToken(claims: GithubClaims): string {
  const jobWorkflowRef = claims.workflowUri.replace(/^https:\/\/github\.com\//, '');
  const payload = {
    iss: claims.iss ?? GITHUB_ISSUER,
    sub: claims.workflowUri,
    aud: 'sigstore',
    repository: claims.repository,
    ref: claims.ref,
    sha: claims.sha,
    event_name: claims.eventName ?? 'push',
    job_workflow_ref: jobWorkflowRef,
    workflow_ref: jobWorkflowRef,
    runner_environment: 'github-hosted',
    ...(claims.repositoryOwner === undefined ? {} : { repository_owner: claims.repositoryOwner }),
    ...(claims.runId === undefined
      ? {}
      : { run_id: String(claims.runId), run_attempt: String(claims.runAttempt ?? 1) }),
    exp: Math.floor(Date.now() / 1000) + 600,
    iat: Math.floor(Date.now() / 1000),
  };
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
}
