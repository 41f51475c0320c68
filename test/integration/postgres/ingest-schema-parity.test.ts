// The twenty-first session's mutation audit of the ingest function's checks (docs/status.md, issue
// 17): whoever holds the ingest key (SLSA_MANIFEST_SERVICE_KEY, the slsa_manifest_ingest role) must
// not store what `record` refuses (DESIGN.md §7, docs/database.md "What ingest never does"). Each
// entry below sits at an edge of one rule of the entry schema (src/core/ledger/entry.ts): a bound
// and its neighbour, a required field left out, a null, a wrong type, an extra key, a pattern's
// anchors. All of them go to slsa_ingest_batch in one call, as the ingest role, the way an attacker
// holding the key would send them, and the function must refuse exactly the entries record refuses
// (the schema, then the clock at check's default allowance). The item around each entry (its file,
// hash, commit, signature status) and the begin/finish ops are checked too. Both engines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from '../../../src/app/migrate.js';
import { checkEntryClock, parseEntry } from '../../../src/core/ledger/entry.js';
import { openDatabase, type DbClient } from '../../../src/io/db.js';
import { makeEntry } from '../../support/ledger.js';
import { createEngineTarget, testEngines, type EngineTarget } from '../../support/postgres.js';

const engines = await testEngines();

type Json = Record<string, unknown>;
const hex = (n: number, c = 'a'): string => c.repeat(n);
const without = (o: Json, key: string): Json =>
  Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));
const provenance = (over: Json = {}): Json => ({
  digest: `sha256:${hex(64, 'd')}`,
  predicate_type: 'https://slsa.dev/provenance/v1',
  builder_id: 'https://github.com/actions/runner',
  subjects: [{ name: 'app.tgz', sha256: hex(64, 'e') }],
  ...over,
});
const subject = (over: Json): Json =>
  provenance({ subjects: [{ name: 'app.tgz', sha256: hex(64, 'e'), ...over }] });
const validation = (over: Json = {}): Json => ({
  status: 'passed',
  validated_at: '2025-11-24T11:00:00Z',
  ...over,
});
const history = (over: Json = {}): Json => ({
  flag: 'provenance-ready',
  timestamp: '2025-11-24T10:00:00Z',
  run_id: 7,
  ...over,
});
const notify = (over: Json): Json => ({ notify: { attempts: 2, delivered: 1, ...over } });
const emoji = '\u{1F600}'; // two UTF-16 units, one character
const later = (seconds: number): string =>
  new Date(Date.now() + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Changes of a valid entry, each at an edge of one rule: [label, change]. */
const CASES: readonly (readonly [string, (e: Json) => unknown])[] = [
  ['the entry itself', (e) => e],
  ['an array', () => []],
  ['a string', () => 'entry'],
  ['null', () => null],
  ['an unknown field', (e) => ({ ...e, verified: true })],
  // run_id
  ['run_id missing', (e) => without(e, 'run_id')],
  ['run_id null', (e) => ({ ...e, run_id: null })],
  ['run_id "7"', (e) => ({ ...e, run_id: '7' })],
  ['run_id 0', (e) => ({ ...e, run_id: 0 })],
  ['run_id 1', (e) => ({ ...e, run_id: 1 })],
  ['run_id -1', (e) => ({ ...e, run_id: -1 })],
  ['run_id 1.5', (e) => ({ ...e, run_id: 1.5 })],
  ['run_id 2^53 - 1', (e) => ({ ...e, run_id: Number.MAX_SAFE_INTEGER })],
  ['run_id 2^53', (e) => ({ ...e, run_id: 2 ** 53 })],
  // tag
  ['tag missing', (e) => without(e, 'tag')],
  ['tag null', (e) => ({ ...e, tag: null })],
  ['tag 7', (e) => ({ ...e, tag: 7 })],
  ['tag empty', (e) => ({ ...e, tag: '' })],
  ['tag of 255 bytes', (e) => ({ ...e, tag: `v${'é'.repeat(127)}` })],
  ['tag of 256 bytes', (e) => ({ ...e, tag: `vv${'é'.repeat(127)}` })],
  ...['-v1', 'v1..2', 'v1@{2', '@', '/v1', 'v1/', 'a//b', 'v1.', '.v1', 'a/.b', 'v1.lock', 'a.lock/b']
    .concat(['v1~', 'v1^', 'v1:', 'v1?', 'v1*', 'v1[', 'v1\\', 'v 1', 'v1\u0007', 'v1\u001f', 'v1\u007f'])
    .concat(['v1\u200b', 'v1\u00a0', 'v1\u202e', 'v\u0065\u0301'])
    .map((tag) => [`tag ${JSON.stringify(tag)}`, (e: Json) => ({ ...e, tag })] as const),
  ...['@a', 'a@b', 'v1.lockx', 'a.b/c', 'v1.0-β', 'v\u00e9', 'release/v1'].map(
    (tag) => [`tag ${JSON.stringify(tag)}`, (e: Json) => ({ ...e, tag })] as const,
  ),
  // sha
  ...[39, 40, 41, 63, 64, 65].map(
    (n) => [`sha of ${n} hex digits`, (e: Json) => ({ ...e, sha: hex(n) })] as const,
  ),
  ['sha upper case', (e) => ({ ...e, sha: hex(40, 'A') })],
  ['sha "g…"', (e) => ({ ...e, sha: hex(40, 'g') })],
  ['sha of 39 hex digits after a "g"', (e) => ({ ...e, sha: `g${hex(39)}` })],
  ['sha missing', (e) => without(e, 'sha')],
  ['sha 40 digits as a number', (e) => ({ ...e, sha: 1234567890 })],
  // artifact_url and release_url
  ['artifact_url missing', (e) => without(e, 'artifact_url')],
  ['artifact_url null on success', (e) => ({ ...e, artifact_url: null })],
  [
    'artifact_url null on failure',
    (e) => ({ ...e, artifact_url: null, status: 'failure', failure_reason: 'x' }),
  ],
  ['artifact_url 7', (e) => ({ ...e, artifact_url: 7 })],
  ...[
    'javascript:alert(1)',
    'http://example.com/a',
    'ftp://example.com/a',
    'https://',
    'https:///a',
    'HTTPS://example.com/a',
    'https://u@example.com/a',
    'https://example.com/a b',
    'https://example.com:443/a',
    'https://example.com:65536/a',
    `https://example.com/${'a'.repeat(2048 - 20)}`,
    `https://example.com/${'a'.repeat(2049 - 20)}`,
  ].flatMap((url) => [
    [`artifact_url ${url.slice(0, 40)} (${url.length})`, (e: Json) => ({ ...e, artifact_url: url })] as const,
    [`release_url ${url.slice(0, 40)} (${url.length})`, (e: Json) => ({ ...e, release_url: url })] as const,
  ]),
  ['release_url null', (e) => ({ ...e, release_url: null })],
  // actor and the other plain texts
  ['actor missing', (e) => without(e, 'actor')],
  ['actor empty', (e) => ({ ...e, actor: '' })],
  ['actor blank', (e) => ({ ...e, actor: ' \t\u3000' })],
  ['actor of 256', (e) => ({ ...e, actor: 'a'.repeat(256) })],
  ['actor of 257', (e) => ({ ...e, actor: 'a'.repeat(257) })],
  ['actor of 128 emoji (256 UTF-16 units)', (e) => ({ ...e, actor: emoji.repeat(128) })],
  ['actor of 129 emoji (258 UTF-16 units)', (e) => ({ ...e, actor: emoji.repeat(129) })],
  ['actor with a tab and a newline', (e) => ({ ...e, actor: 'a\tb\nc' })],
  ...['\u0001', '\u0008', '\u000b', '\u001f', '\u007f', '\u0085', '\u009f'].map(
    (c) =>
      [`actor with U+${c.charCodeAt(0).toString(16)}`, (e: Json) => ({ ...e, actor: `a${c}b` })] as const,
  ),
  ['actor with U+00A0 inside', (e) => ({ ...e, actor: 'a\u00a0b' })],
  // timestamp
  ...[
    '2025-11-24T10:00:00Z',
    '2025-11-24T10:00:00.123456789Z',
    '2025-11-24T10:00:00.1234567890Z',
    '2025-11-24T10:00:00.Z',
    '2025-11-24 10:00:00Z',
    '2025-11-24T10:00:00+00:00',
    '2025-11-24T10:00:00z',
    '2025-11-24T10:00Z',
    '1969-12-28T00:00:00Z',
    '1969-12-31T23:59:59Z',
    '1970-01-01T00:00:00Z',
    '2024-02-29T00:00:00Z',
    '2025-02-29T00:00:00Z',
    '2000-02-29T00:00:00Z',
    '2100-02-29T00:00:00Z',
    '2025-04-30T00:00:00Z',
    '2025-04-31T00:00:00Z',
    '2025-01-31T00:00:00Z',
    '2025-01-32T00:00:00Z',
    '2025-00-10T00:00:00Z',
    '2025-13-10T00:00:00Z',
    '2025-11-00T00:00:00Z',
    '2025-11-24T23:59:59Z',
    '2025-11-24T24:00:00Z',
    '2025-11-24T10:60:00Z',
    '2025-11-24T10:00:60Z',
    '2099-01-01T00:00:00Z',
    // the clock: 300 s ahead is check's allowance; 50 s either side of it leaves room for the call
    later(250),
    later(350),
    later(3600),
    later(-86400),
  ].map((t) => [`timestamp ${t}`, (e: Json) => ({ ...e, timestamp: t })] as const),
  ['timestamp missing', (e) => without(e, 'timestamp')],
  ['timestamp a number', (e) => ({ ...e, timestamp: 1764000000 })],
  // status, failure_reason
  ...['success', 'failure', 'Success', 'passed', ''].map(
    (s) =>
      [`status ${JSON.stringify(s)}`, (e: Json) => ({ ...e, status: s, failure_reason: 'why' })] as const,
  ),
  ['status missing', (e) => without(e, 'status')],
  ['a failure without a reason', (e) => ({ ...e, status: 'failure' })],
  ['a failure with an empty reason', (e) => ({ ...e, status: 'failure', failure_reason: '' })],
  ['a failure with a null reason', (e) => ({ ...e, status: 'failure', failure_reason: null })],
  ['failure_reason of 4096', (e) => ({ ...e, failure_reason: 'r'.repeat(4096) })],
  ['failure_reason of 4097', (e) => ({ ...e, failure_reason: 'r'.repeat(4097) })],
  // governance_flag
  ...[
    'validated',
    'a1-b2-c3',
    'x'.repeat(100),
    'x'.repeat(101),
    'Validated',
    'a--b',
    '-a',
    'a-',
    'a_b',
    'a b',
    '',
  ].map(
    (f) =>
      [
        `governance_flag ${JSON.stringify(f.slice(0, 20))} (${f.length})`,
        (e: Json) => ({ ...e, governance_flag: f }),
      ] as const,
  ),
  ['governance_flag null', (e) => ({ ...e, governance_flag: null })],
  ['governance_flag 1', (e) => ({ ...e, governance_flag: 1 })],
  // governance_history
  ['governance_history []', (e) => ({ ...e, governance_history: [] })],
  ['governance_history one item', (e) => ({ ...e, governance_history: [history()] })],
  ['governance_history an object', (e) => ({ ...e, governance_history: history() })],
  ['governance_history null', (e) => ({ ...e, governance_history: null })],
  ['governance_history item a string', (e) => ({ ...e, governance_history: ['validated'] })],
  [
    'governance_history item without flag',
    (e) => ({ ...e, governance_history: [without(history(), 'flag')] }),
  ],
  [
    'governance_history item with a null flag',
    (e) => ({ ...e, governance_history: [history({ flag: null })] }),
  ],
  [
    'governance_history item with a bad flag',
    (e) => ({ ...e, governance_history: [history({ flag: 'A' })] }),
  ],
  [
    'governance_history item without timestamp',
    (e) => ({ ...e, governance_history: [without(history(), 'timestamp')] }),
  ],
  [
    'governance_history item on February 30th',
    (e) => ({ ...e, governance_history: [history({ timestamp: '2025-02-30T00:00:00Z' })] }),
  ],
  [
    'governance_history item without run_id',
    (e) => ({ ...e, governance_history: [without(history(), 'run_id')] }),
  ],
  ['governance_history item with run_id 0', (e) => ({ ...e, governance_history: [history({ run_id: 0 })] })],
  [
    'governance_history item with an extra key',
    (e) => ({ ...e, governance_history: [history({ by: 'me' })] }),
  ],
  [
    'governance_history second item bad',
    (e) => ({ ...e, governance_history: [history(), history({ flag: 'A' })] }),
  ],
  // provenance
  ['provenance', (e) => ({ ...e, provenance: provenance() })],
  ['provenance null', (e) => ({ ...e, provenance: null })],
  ['provenance an array', (e) => ({ ...e, provenance: [provenance()] })],
  ['provenance with an extra key', (e) => ({ ...e, provenance: provenance({ bundle: 'x' }) })],
  ['provenance without digest', (e) => ({ ...e, provenance: without(provenance(), 'digest') })],
  ...[
    `sha256:${hex(63)}`,
    `sha256:${hex(65)}`,
    `sha256:${hex(64, 'A')}`,
    `SHA256:${hex(64)}`,
    `sha512:${hex(64)}`,
    hex(71),
  ].map(
    (d) =>
      [
        `provenance.digest ${d.slice(0, 12)}… (${d.length})`,
        (e: Json) => ({ ...e, provenance: provenance({ digest: d }) }),
      ] as const,
  ),
  [
    'provenance.predicate_type of 512',
    (e) => ({ ...e, provenance: provenance({ predicate_type: 'p'.repeat(512) }) }),
  ],
  [
    'provenance.predicate_type of 513',
    (e) => ({ ...e, provenance: provenance({ predicate_type: 'p'.repeat(513) }) }),
  ],
  ['provenance.predicate_type empty', (e) => ({ ...e, provenance: provenance({ predicate_type: '' }) })],
  [
    'provenance without predicate_type',
    (e) => ({ ...e, provenance: without(provenance(), 'predicate_type') }),
  ],
  [
    'provenance.builder_id of 1024',
    (e) => ({ ...e, provenance: provenance({ builder_id: 'b'.repeat(1024) }) }),
  ],
  [
    'provenance.builder_id of 1025',
    (e) => ({ ...e, provenance: provenance({ builder_id: 'b'.repeat(1025) }) }),
  ],
  ['provenance without builder_id', (e) => ({ ...e, provenance: without(provenance(), 'builder_id') })],
  ['provenance.subjects []', (e) => ({ ...e, provenance: provenance({ subjects: [] }) })],
  ['provenance.subjects an object', (e) => ({ ...e, provenance: provenance({ subjects: { name: 'a' } }) })],
  ['provenance without subjects', (e) => ({ ...e, provenance: without(provenance(), 'subjects') })],
  ['provenance subject a string', (e) => ({ ...e, provenance: provenance({ subjects: ['app.tgz'] }) })],
  ['provenance subject with an extra key', (e) => ({ ...e, provenance: subject({ size: 1 }) })],
  ['provenance subject name of 1024', (e) => ({ ...e, provenance: subject({ name: 'n'.repeat(1024) }) })],
  ['provenance subject name of 1025', (e) => ({ ...e, provenance: subject({ name: 'n'.repeat(1025) }) })],
  [
    'provenance subject without name',
    (e) => ({ ...e, provenance: provenance({ subjects: [{ sha256: hex(64) }] }) }),
  ],
  ['provenance subject sha256 of 63', (e) => ({ ...e, provenance: subject({ sha256: hex(63) }) })],
  ['provenance subject sha256 of 65', (e) => ({ ...e, provenance: subject({ sha256: hex(65) }) })],
  ['provenance subject sha256 upper case', (e) => ({ ...e, provenance: subject({ sha256: hex(64, 'F') }) })],
  [
    'provenance subject without sha256',
    (e) => ({ ...e, provenance: provenance({ subjects: [{ name: 'a' }] }) }),
  ],
  [
    'provenance second subject bad',
    (e) => ({
      ...e,
      provenance: provenance({
        subjects: [
          { name: 'a', sha256: hex(64) },
          { name: 'b', sha256: 'x' },
        ],
      }),
    }),
  ],
  // validation
  ['validation', (e) => ({ ...e, validation: validation({ validator_run_id: 9, reason: 'ok' }) })],
  ['validation null', (e) => ({ ...e, validation: null })],
  ['validation with an extra key', (e) => ({ ...e, validation: validation({ by: 'me' }) })],
  ...['failed', 'pending', 'PASSED', ''].map(
    (s) =>
      [
        `validation.status ${JSON.stringify(s)}`,
        (e: Json) => ({ ...e, validation: validation({ status: s }) }),
      ] as const,
  ),
  ['validation without status', (e) => ({ ...e, validation: without(validation(), 'status') })],
  ['validation without validated_at', (e) => ({ ...e, validation: without(validation(), 'validated_at') })],
  [
    'validation.validated_at on April 31st',
    (e) => ({ ...e, validation: validation({ validated_at: '2025-04-31T00:00:00Z' }) }),
  ],
  [
    'validation.validated_at in 2099',
    (e) => ({ ...e, validation: validation({ validated_at: '2099-01-01T00:00:00Z' }) }),
  ],
  [
    'validation.validated_at an hour ahead',
    (e) => ({ ...e, validation: validation({ validated_at: later(3600) }) }),
  ],
  [
    'validation.validated_at 250 s ahead',
    (e) => ({ ...e, validation: validation({ validated_at: later(250) }) }),
  ],
  [
    'validation.validated_at 350 s ahead',
    (e) => ({ ...e, validation: validation({ validated_at: later(350) }) }),
  ],
  ['validation.validator_run_id 0', (e) => ({ ...e, validation: validation({ validator_run_id: 0 }) })],
  [
    'validation.validator_run_id 2^53',
    (e) => ({ ...e, validation: validation({ validator_run_id: 2 ** 53 }) }),
  ],
  ['validation.validator_run_id null', (e) => ({ ...e, validation: validation({ validator_run_id: null }) })],
  ['validation.reason empty', (e) => ({ ...e, validation: validation({ reason: '' }) })],
  ['validation.reason of 4096', (e) => ({ ...e, validation: validation({ reason: 'r'.repeat(4096) }) })],
  ['validation.reason of 4097', (e) => ({ ...e, validation: validation({ reason: 'r'.repeat(4097) }) })],
  // metrics
  ['metrics {}', (e) => ({ ...e, metrics: {} })],
  ['metrics null', (e) => ({ ...e, metrics: null })],
  ['metrics with an unknown key', (e) => ({ ...e, metrics: { queue_s: 1 } })],
  ...['dispatch_token_expires_at', 'dispatch_token_rotated_at', 'dispatch_token_last_used_at'].flatMap(
    (k) => [
      [`metrics.${k}`, (e: Json) => ({ ...e, metrics: { [k]: '2025-12-24T10:00:00Z' } })] as const,
      [
        `metrics.${k} on February 29th 2025`,
        (e: Json) => ({ ...e, metrics: { [k]: '2025-02-29T10:00:00Z' } }),
      ] as const,
      [`metrics.${k} null`, (e: Json) => ({ ...e, metrics: { [k]: null } })] as const,
    ],
  ),
  ...[1, 0, 2 ** 53 - 1, 2 ** 53, 1.5].map(
    (n) =>
      [
        `metrics.dispatch_token_last_used_run_id ${n}`,
        (e: Json) => ({ ...e, metrics: { dispatch_token_last_used_run_id: n } }),
      ] as const,
  ),
  ...['artifact_upload_latency_s', 'lock_wait_s'].flatMap((k) =>
    [0, 0.5, 1e9, 1e9 + 1, -0.001, '1', null].map(
      (n) => [`metrics.${k} ${JSON.stringify(n)}`, (e: Json) => ({ ...e, metrics: { [k]: n } })] as const,
    ),
  ),
  ['metrics.notify', (e) => ({ ...e, metrics: notify({ latency_s: 1.5 }) })],
  ['metrics.notify null', (e) => ({ ...e, metrics: { notify: null } })],
  ['metrics.notify with an unknown key', (e) => ({ ...e, metrics: notify({ failed: 1 }) })],
  ['metrics.notify without attempts', (e) => ({ ...e, metrics: { notify: { delivered: 0 } } })],
  ['metrics.notify without delivered', (e) => ({ ...e, metrics: { notify: { attempts: 0 } } })],
  ['metrics.notify attempts -1', (e) => ({ ...e, metrics: notify({ attempts: -1, delivered: 0 }) })],
  ['metrics.notify attempts 0', (e) => ({ ...e, metrics: notify({ attempts: 0, delivered: 0 }) })],
  ['metrics.notify attempts 2^31 - 1', (e) => ({ ...e, metrics: notify({ attempts: 2 ** 31 - 1 }) })],
  ['metrics.notify attempts 2^31', (e) => ({ ...e, metrics: notify({ attempts: 2 ** 31 }) })],
  ['metrics.notify attempts 1.5', (e) => ({ ...e, metrics: notify({ attempts: 1.5 }) })],
  ['metrics.notify delivered -1', (e) => ({ ...e, metrics: notify({ delivered: -1 }) })],
  ['metrics.notify delivered = attempts', (e) => ({ ...e, metrics: notify({ attempts: 3, delivered: 3 }) })],
  ['metrics.notify delivered > attempts', (e) => ({ ...e, metrics: notify({ attempts: 3, delivered: 4 }) })],
  [
    'metrics.notify delivered 2^31',
    (e) => ({ ...e, metrics: notify({ attempts: 2 ** 31, delivered: 2 ** 31 }) }),
  ],
  ['metrics.notify latency_s 1e9 + 1', (e) => ({ ...e, metrics: notify({ latency_s: 1e9 + 1 }) })],
  ['metrics.notify latency_s -1', (e) => ({ ...e, metrics: notify({ latency_s: -1 }) })],
  ['metrics.notify latency_s "1"', (e) => ({ ...e, metrics: notify({ latency_s: '1' }) })],
];

/** What `record` decides of an entry: the schema, then the clock at check's default 300 s. */
function recordRefuses(entry: unknown): boolean {
  try {
    checkEntryClock(parseEntry(entry), new Date(), 300);
    return false;
  } catch {
    return true;
  }
}

describe.each(engines)('what the ingest key may store, on %s', (engine) => {
  let target: EngineTarget;
  let db: DbClient;
  const commit = 'c'.repeat(40);
  const call = async (batch: unknown): Promise<Json> =>
    (await db.query<{ r: Json }>('SELECT public.slsa_ingest_batch($1::jsonb) AS r', [JSON.stringify(batch)]))
      .rows[0]!.r;
  const begin = async (repository: string, extra: Json = {}): Promise<string> => {
    const id = crypto.randomUUID();
    await call({ op: 'begin', ingest_id: id, repository, engine, to_commit: commit, ...extra });
    return id;
  };
  const item = (entry: unknown, extra: Json = {}): Json => ({
    entry,
    manifest_path: 'docs/reports/2025-11-24/manifest.json',
    manifest_hash: hex(64, 'f'),
    git_commit: commit,
    ...extra,
  });

  beforeAll(async () => {
    target = await createEngineTarget(engine, 'parity');
    await migrateDatabase(target.options);
    // the attacker's session: the least-privilege ingest role (SET ROLE, as the key's JWT does)
    db = await openDatabase({ ...target.options, role: 'ingest' });
  });
  afterAll(async () => {
    await db?.close();
    await target?.cleanup();
  });

  it('refuses exactly the entries record refuses', async () => {
    const entries = CASES.map(([, change], i) =>
      change({ ...makeEntry({ run_id: 1000 + i, tag: `v1.0.${i}` }) }),
    );
    const id = await begin('acme/parity');
    const reply = await call({ op: 'upsert', ingest_id: id, entries: entries.map((e) => item(e)) });
    const failed = new Set((reply.failed as { index: number }[]).map((f) => f.index));
    const mismatches = CASES.map(([label], i) => ({
      label,
      record: recordRefuses(entries[i]),
      db: failed.has(i),
    })).filter((c) => c.record !== c.db);
    expect(mismatches).toEqual([]);
    // both verdicts are in the list (a check that took or refused everything would fail above)
    expect(failed.size).toBeGreaterThan(100);
    expect(CASES.length - failed.size).toBeGreaterThan(50);
    // what was taken is stored as sent, once per key
    const stored = CASES.length - failed.size;
    expect(reply).toMatchObject({ seen: CASES.length, inserted: stored });
  }, 120_000);

  it('refuses an item that does not come from a day file of the commit the ingest declared', async () => {
    const id = await begin('acme/items');
    const good = (i: number): Json => ({ ...makeEntry({ run_id: 2000 + i, tag: `v2.0.${i}` }) });
    const items: [string, unknown, boolean][] = [
      ['a good item', item(good(0)), true],
      ['an item that is not an object', [good(1)], false],
      ['manifest_path missing', without(item(good(2)), 'manifest_path'), false],
      ['manifest_path a number', item(good(3), { manifest_path: 20251124 }), false],
      [
        'manifest_path not a day file',
        item(good(4), { manifest_path: 'docs/reports/2025-11-24/other.json' }),
        false,
      ],
      [
        'manifest_path with a suffix',
        item(good(5), { manifest_path: 'docs/reports/2025-11-24/manifest.jsonx' }),
        false,
      ],
      [
        'manifest_path with a control character',
        item(good(6), { manifest_path: 'docs/\u0007/2025-11-24/manifest.json' }),
        false,
      ],
      [
        'manifest_path of 1000',
        item(good(7), { manifest_path: `${'d/'.repeat(488)}2025-11-24/manifest.json` }),
        true,
      ],
      [
        'manifest_path of 1001',
        item(good(8), { manifest_path: `x${'d/'.repeat(488)}2025-11-24/manifest.json` }),
        false,
      ],
      ['manifest_hash of 63', item(good(9), { manifest_hash: hex(63) }), false],
      ['manifest_hash of 65', item(good(10), { manifest_hash: hex(65) }), false],
      ['manifest_hash upper case', item(good(11), { manifest_hash: hex(64, 'F') }), false],
      ['manifest_hash missing', without(item(good(12)), 'manifest_hash'), false],
      [
        'manifest_hash a number of 64 digits',
        { ...item(good(23), { manifest_path: 'docs/hash/2025-11-24/manifest.json' }), manifest_hash: 'HASH' },
        false,
      ],
      ['git_commit another', item(good(13), { git_commit: 'e'.repeat(40) }), false],
      ['git_commit missing', without(item(good(14)), 'git_commit'), false],
      ...['verified', 'unsigned', 'invalid', 'untrusted', 'unverified', null].map(
        (s, i) =>
          [`signature_status ${String(s)}`, item(good(15 + i), { signature_status: s }), true] as [
            string,
            Json,
            boolean,
          ],
      ),
      ['signature_status trusted', item(good(21), { signature_status: 'trusted' }), false],
      ['signature_status VERIFIED', item(good(22), { signature_status: 'VERIFIED' }), false],
    ];
    // JSON.stringify writes no 64-digit number: put one in by hand
    const body = JSON.stringify({ op: 'upsert', ingest_id: id, entries: items.map(([, it]) => it) });
    const reply = (
      await db.query<{ r: Json }>('SELECT public.slsa_ingest_batch($1::jsonb) AS r', [
        body.replace('"HASH"', '1'.repeat(64)),
      ])
    ).rows[0]!.r;
    const failed = new Set((reply.failed as { index: number }[]).map((f) => f.index));
    expect(items.map(([label], i) => [label, !failed.has(i)])).toEqual(
      items.map(([label, , ok]) => [label, ok]),
    );
    // nothing but the accepted items' day file is recorded as the repository's manifest
    // (an embedded database is open once per process: the attacker's session steps aside)
    await db.close();
    const owner = await openDatabase({ ...target.options, role: 'owner' });
    try {
      const manifests = await owner.query<{ path: string }>(
        "SELECT path FROM public.ledger_manifests WHERE repository = 'acme/items' ORDER BY path",
      );
      expect(manifests.rows.map((r) => r.path)).toEqual([
        `${'d/'.repeat(488)}2025-11-24/manifest.json`,
        'docs/reports/2025-11-24/manifest.json',
      ]);
      const audit = await owner.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM public.provenance_audit_log WHERE repository = 'acme/items' AND ingest_id = $1",
        [id],
      );
      expect(audit.rows[0]!.n).toBe(items.filter(([, , ok]) => ok).length);
    } finally {
      await owner.close();
      db = await openDatabase({ ...target.options, role: 'ingest' });
    }
  }, 120_000);
});
