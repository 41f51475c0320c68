// Runs every reader of outside input over one file, in a child process the fuzz tests spawn with a
// time limit and a heap limit (--max-old-space-size). Imports the compiled modules in dist/ (run
// `npm run build`). Prints one JSON line per reader: {reader, outcome: 'ok'|'coded', code?};
// an uncoded exception prints {reader, outcome: 'uncoded', message} and exits 70, like the CLI's
// one top-level catch would.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';

const dist = new URL('../../../dist/', import.meta.url);
const load = (p) => import(new URL(p, dist).href);

const file = process.argv[2];
const bytes = readFileSync(file);
const text = bytes.toString('utf8');
const sha256 = createHash('sha256').update(bytes).digest('hex');
const DAY = 'docs/reports/2025-11-24/manifest.json';

const { isSlsaLedgerError } = await load('errors.js');
const { parseDayFileStrict } = await load('io/ledger-reader.js');
const { checkLedgerFindings } = await load('core/ledger/check.js');
const { collectItems } = await load('app/ingest.js');
const { parseQueue, parseQueueItems } = await load('core/ledger/queue.js');
const { parseJson } = await load('core/input/strict-json.js');
const { parseEntry, parseDayFile } = await load('core/ledger/entry.js');
const { parseProvenanceText } = await load('io/provenance-reader.js');
const { parseEnvelope, parseStatement } = await load('core/provenance/dsse.js');
const { parseLedgerLog } = await load('core/ledger-trust/storage.js');

const trailers = {
  'Provenance-Run-Id': ['1'],
  'Provenance-Tag': ['v1.0.0'],
  'Manifest-Path': [DAY],
  'Manifest-Sha256': [sha256],
};
const readers = {
  dayFile: () => parseDayFileStrict({ path: DAY, bytes }),
  dayFileWriters: () => parseDayFile(bytes, DAY),
  check: () =>
    checkLedgerFindings({
      files: [{ path: DAY, text, sha256 }],
      commits: [
        {
          commit: 'a'.repeat(40),
          subject: 's',
          trailers,
          changes: [{ path: DAY, after: '[]\n', afterSha256: 'x' }],
        },
        {
          commit: 'b'.repeat(40),
          subject: 's',
          trailers,
          changes: [{ path: DAY, after: text, afterSha256: sha256 }],
        },
      ],
    }),
  ingest: () => {
    const r = collectItems([{ path: DAY, bytes, sha256 }], null);
    if (r.invalid.length > 0) return 'coded';
    return r;
  },
  queueFile: () => parseQueue(parseJsonTextBounded('queueFile'), 'queue.json'),
  queueItems: () => parseQueueItems(bytes, 'queue.json'),
  entry: () => parseEntry(parseJson(bytes, 'entry', 'entry')),
  provenance: () => parseProvenanceText(text, 'app.intoto.jsonl'),
  envelope: () => parseEnvelope(parseJson(bytes, 'signed', 'envelope'), 'envelope'),
  statement: () => parseStatement(bytes, 'statement'),
  ledgerLog: () => parseLedgerLog(text, 'transitions.jsonl'),
};

function parseJsonTextBounded(profile) {
  parseJson(bytes, profile, profile); // the bounded check the readers do before parsing
  return text;
}

let failed = false;
for (const [reader, run] of Object.entries(readers)) {
  try {
    const r = run();
    console.log(JSON.stringify({ reader, outcome: r === 'coded' ? 'coded' : 'ok' }));
  } catch (error) {
    if (isSlsaLedgerError(error)) console.log(JSON.stringify({ reader, outcome: 'coded', code: error.code }));
    else {
      failed = true;
      console.log(
        JSON.stringify({ reader, outcome: 'uncoded', message: String(error?.stack ?? error).slice(0, 500) }),
      );
    }
  }
}
process.exit(failed ? 70 : 0);
