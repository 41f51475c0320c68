// A signed ledger of the ledger bench's shape (30 entries a day, one signed record each, ed25519 key
// mode) with history, written with git fast-import: one commit per day or per record, each commit
// its day file and its day's transitions log. Used to time ingest's history replay (docs/trust.md
// "Speed"); the public key goes to DIR/../ledger.pub. Runs against dist/:
//   node bench/probe/ledger-history-build.mjs DIR [YEARS=5] [PER_DAY=30] [per-day|per-record]
import { generateKeyPairSync, sign } from 'node:crypto';
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const W = new URL('../../dist', import.meta.url).href;
const entryM = await import(`${W}/core/ledger/entry.js`);
const transition = await import(`${W}/core/ledger-trust/transition.js`);
const signM = await import(`${W}/core/ledger-trust/sign.js`);
const dsse = await import(`${W}/core/provenance/dsse.js`);
const bundle = await import(`${W}/core/provenance/bundle.js`);
const keyIdM = await import(`${W}/core/verify/key-id.js`);
const [dir, yearsArg = '5', perDayArg = '30', mode = 'per-record'] = process.argv.slice(2);
const YEARS = Number(yearsArg),
  PER_DAY = Number(perDayArg);
mkdirSync(dir, { recursive: true });
execFileSync('git', ['init', '-q', '-b', 'main', dir]);
const pair = generateKeyPairSync('ed25519');
writeFileSync(join(dir, '..', 'ledger.pub'), pair.publicKey.export({ type: 'spki', format: 'pem' }));
const keyId = keyIdM.computeKeyId(pair.publicKey);
const signer = {
  mode: 'key',
  keyId,
  signDsse: async (payloadType, payload) =>
    bundle.buildKeySignedBundle({
      payloadType,
      payload,
      keyId,
      signature: sign(null, dsse.computePae(payloadType, payload), pair.privateKey),
    }),
};
const LOCATION = { repository: 'acme/ledger', branch: 'main' };
const fi = spawn('git', ['fast-import', '--quiet', '--depth=10'], {
  cwd: dir,
  stdio: ['pipe', 'inherit', 'inherit'],
});
const write = (s) => new Promise((res) => (fi.stdin.write(s) ? res() : fi.stdin.once('drain', res)));
const data = (text) => `data ${Buffer.byteLength(text)}\n${text}\n`;
let t = 1577836800,
  n = 0,
  mark = 0;
const dayOf = (d) => new Date(Date.UTC(2020, 0, 1) + d * 86_400_000).toISOString().slice(0, 10);
const started = Date.now();
for (let d = 0; d < YEARS * 365; d++) {
  const iso = dayOf(d);
  const path = `docs/reports/${iso}/manifest.json`;
  const logPath = `docs/reports/${iso}/transitions.jsonl`;
  const entries = [];
  let log = '';
  for (let k = 0; k < PER_DAY; k++, n++) {
    const tag = `v${iso.replaceAll('-', '.')}.${k}`;
    const e = entryM.canonicalEntry({
      run_id: 1_000_000 + n,
      tag,
      sha: (n.toString(16).padStart(8, '0') + 'a'.repeat(32)).slice(0, 40),
      artifact_url: `https://github.com/acme/app/releases/download/${tag}/app.tar.gz`,
      actor: 'release-bot',
      timestamp: `${iso}T10:${String(k).padStart(2, '0')}:00Z`,
      status: 'success',
      governance_flag: 'provenance-ready',
      release_url: `https://github.com/acme/app/releases/tag/${tag}`,
    });
    entries.push(e);
    entries.sort(entryM.compareEntries);
    const st = transition.buildTransitionStatement({
      kind: 'record',
      previous: null,
      state: e,
      writer: { actor: 'release-bot', run_id: 5000 + n, run_attempt: 1, workflow_ref: null },
      time: new Date(Date.parse(e.timestamp)),
      ledger: { ...LOCATION, path },
    });
    log += (await signM.signTransition(st, signer)).line;
    if (mode === 'per-record' || k === PER_DAY - 1) {
      t += 60;
      await write(
        `commit refs/heads/main\nmark :${++mark}\ncommitter bench <b@x> ${t} +0000\n${data(`provenance: record ${tag}`)}` +
          (mark > 1 ? `from :${mark - 1}\n` : '') +
          `M 100644 inline ${path}\n${data(entryM.serializeManifest(entries))}M 100644 inline ${logPath}\n${data(log)}\n`,
      );
    }
  }
  if (d % 100 === 0)
    console.error(`day ${d}: ${n} entries, ${mark} commits, ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
fi.stdin.end();
await new Promise((r) => fi.on('close', r));
execFileSync('git', ['-C', dir, 'reset', '-q', '--hard', 'main']);
console.error(`done: ${n} entries, ${mark} commits in ${((Date.now() - started) / 1000).toFixed(0)} s`);
