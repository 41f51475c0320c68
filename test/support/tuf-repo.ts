// A TUF repository served over HTTP from 127.0.0.1, built with @tufjs/models (the metadata classes
// tuf-js itself verifies with): root, timestamp, snapshot and targets, signed with Ed25519 keys, no
// consistent snapshots (so files are `N.root.json`, `timestamp.json`, `snapshot.json`,
// `targets.json` and `targets/NAME`, as the TUF specification §5 lays them out for a client that
// does not prefix by hash). It can rotate its root key (a new root signed by the old and the new
// keys, spec §5.3.4), publish new targets, publish metadata that expires soon or has expired,
// and be tampered with (bytes served that no longer match what was signed).
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import {
  Key,
  Metadata,
  MetaFile,
  Root,
  Signature,
  Snapshot,
  Targets,
  TargetFile,
  Timestamp,
} from '@tufjs/models';

interface Ed25519 {
  readonly key: Key;
  readonly privateKey: KeyObject;
}

function ed25519Key(): Ed25519 {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
  const keyVal = { public: raw };
  const keyID = createHash('sha256')
    .update(JSON.stringify({ keytype: 'ed25519', keyval: keyVal, scheme: 'ed25519' }))
    .digest('hex');
  return { key: new Key({ keyID, keyType: 'ed25519', scheme: 'ed25519', keyVal }), privateKey };
}

const signer =
  (k: Ed25519) =>
  (data: Buffer): Signature =>
    new Signature({ keyID: k.key.keyID, sig: sign(null, data, k.privateKey).toString('hex') });

const inDays = (days: number): string =>
  new Date(Date.now() + days * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const inSeconds = (seconds: number): string =>
  new Date(Date.now() + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

const bytesOf = (md: Metadata<Root | Timestamp | Snapshot | Targets>): Buffer =>
  Buffer.from(JSON.stringify(md.toJSON()));

export class LocalTufRepository {
  /** the files served, by path under the repository's url */
  readonly files = new Map<string, Buffer>();
  private rootKey = ed25519Key();
  private readonly onlineKey = ed25519Key();
  private rootVersion = 0;
  private version = 0;
  private readonly targets = new Map<string, Buffer>();

  constructor(targets: Record<string, Buffer | string>) {
    for (const [name, bytes] of Object.entries(targets)) this.targets.set(name, Buffer.from(bytes));
    this.publishRoot([this.rootKey]);
    this.publish();
  }

  /** the current root.json (the initial root a client is given) */
  get rootJson(): Buffer {
    return this.files.get(`${this.rootVersion}.root.json`) as Buffer;
  }

  /** publishes new timestamp, snapshot and targets metadata (timestamp expiry: `expires`) */
  publish(expires: { readonly timestampSeconds?: number; readonly days?: number } = {}): void {
    this.version += 1;
    const long = inDays(expires.days ?? 30);
    const targets = new Targets({ version: this.version, specVersion: '1.0.31', expires: long });
    for (const [path, bytes] of this.targets) {
      targets.addTarget(
        new TargetFile({
          path,
          length: bytes.length,
          hashes: { sha256: createHash('sha256').update(bytes).digest('hex') },
        }),
      );
      this.files.set(`targets/${path}`, bytes);
    }
    const targetsMd = new Metadata(targets);
    targetsMd.sign(signer(this.onlineKey));
    this.files.set('targets.json', bytesOf(targetsMd));
    const snapshot = new Snapshot({
      version: this.version,
      specVersion: '1.0.31',
      expires: long,
      meta: { 'targets.json': new MetaFile({ version: this.version }) },
    });
    const snapshotMd = new Metadata(snapshot);
    snapshotMd.sign(signer(this.onlineKey));
    this.files.set('snapshot.json', bytesOf(snapshotMd));
    const timestamp = new Timestamp({
      version: this.version,
      specVersion: '1.0.31',
      expires: expires.timestampSeconds === undefined ? long : inSeconds(expires.timestampSeconds),
      snapshotMeta: new MetaFile({ version: this.version }),
    });
    const timestampMd = new Metadata(timestamp);
    timestampMd.sign(signer(this.onlineKey));
    this.files.set('timestamp.json', bytesOf(timestampMd));
  }

  /** replaces a target's content and publishes */
  setTarget(name: string, bytes: Buffer | string, expires?: { readonly timestampSeconds?: number }): void {
    this.targets.set(name, Buffer.from(bytes));
    this.publish(expires);
  }

  /** a new root version with a new root key, signed by the old and the new key */
  rotateRoot(): void {
    const old = this.rootKey;
    this.rootKey = ed25519Key();
    this.publishRoot([old, this.rootKey]);
  }

  /** serves other bytes than were signed for a file */
  tamper(path: string, edit: (bytes: Buffer) => Buffer): void {
    this.files.set(path, edit(this.files.get(path) as Buffer));
  }

  private publishRoot(signers: readonly Ed25519[]): void {
    this.rootVersion += 1;
    const root = new Root({
      version: this.rootVersion,
      specVersion: '1.0.31',
      expires: inDays(365),
      consistentSnapshot: false,
    });
    root.addKey(this.rootKey.key, 'root');
    for (const role of ['timestamp', 'snapshot', 'targets']) root.addKey(this.onlineKey.key, role);
    const md = new Metadata(root);
    for (const k of signers) md.sign(signer(k));
    this.files.set(`${this.rootVersion}.root.json`, bytesOf(md));
  }
}

/** Serves repositories under `/NAME/…` on 127.0.0.1, counting requests per repository. */
export class TufServer {
  readonly requests: string[] = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(repositories: Record<string, LocalTufRepository>): Promise<TufServer> {
    const server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const [, name, ...rest] = path.split('/');
      const repo = repositories[name ?? ''];
      const bytes = repo?.files.get(rest.join('/'));
      tufServer.requests.push(path);
      if (req.method !== 'GET' || bytes === undefined) return void res.writeHead(404).end();
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': bytes.length }).end(bytes);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const tufServer = new TufServer(server, `http://127.0.0.1:${port}`);
    return tufServer;
  }

  requestsFor(name: string): number {
    return this.requests.filter((p) => p.startsWith(`/${name}/`)).length;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
