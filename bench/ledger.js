// Ledger bench (issue 4): merging one entry into a day file of 10,000 entries with slsa-ledger vs
// the jq pipeline a workflow would otherwise run (jq `reduce` merge + sort_by + pretty print on the
// same file, same run, interleaved, medians; outputs compared byte for byte), the full `record` (fetch, merge, commit,
// push) vs the same workflow with jq and git commands, and the median `record` + push to a local
// bare remote. Runs against dist/. BENCH_SCALE=small: 1,000 entries and fewer repetitions.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'dist/bin/slsa-ledger.js');
const work = join(root, 'bench/work/ledger');
const small = process.env.BENCH_SCALE === 'small';
const N = Number(process.env.BENCH_LEDGER_ENTRIES ?? (small ? 1_000 : 10_000));
const REPS = small ? 3 : 7;
// BENCH_LEDGER_PARTS=merge,full,small,floor,signed-day runs some sections only (while working on one)
const PARTS = new Set((process.env.BENCH_LEDGER_PARTS ?? 'merge,full,small,floor,signed-day').split(','));
// signed-day: the day's log holds this many signed lines (a day grown by that many signed records)
const LOG_LINES = Number(process.env.BENCH_LEDGER_LOG_LINES ?? (small ? 1_000 : 10_000));
const MERGE_REPS = small ? 5 : 15;
const DAY = '2025-11-24';
const MANIFEST = `docs/reports/${DAY}/manifest.json`;

const JQ_MERGE = `reduce $new[] as $e (.;
  (map(.tag == $e.tag and .run_id == $e.run_id) | index(true)) as $i
  | if $i == null then . + [$e] else .[$i] = (.[$i] + $e) end)
| sort_by(.tag, .run_id)`;

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'bench@example.invalid',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'bench@example.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
};
const git = (cwd, ...args) =>
  execFileSync('git', args, {
    cwd,
    env: gitEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1 << 30,
  }).toString();

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x) => Math.round(x * 10) / 10;

// tags zero-padded so that jq's plain string order agrees with the ledger's version order
function entry(i, overrides = {}) {
  const tag = `v2025.11.${String(i).padStart(6, '0')}`;
  return {
    run_id: 100_000 + i,
    tag,
    sha: (i.toString(16).padStart(8, '0') + 'a'.repeat(32)).slice(0, 40),
    artifact_url: `https://github.com/acme/app/releases/download/${tag}/app.tar.gz`,
    actor: 'release-bot',
    timestamp: `${DAY}T${String(Math.floor(i / 3600) % 24).padStart(2, '0')}:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z`,
    status: 'success',
    governance_flag: 'provenance-ready',
    release_url: `https://github.com/acme/app/releases/tag/${tag}`,
    ...overrides,
  };
}

function makeRepo(name, manifestText) {
  const remote = join(work, `${name}.git`);
  const clone = join(work, name);
  git(work, 'init', '-q', '--bare', '-b', 'main', remote);
  git(work, 'clone', '-q', remote, clone);
  git(clone, 'config', 'gc.auto', '0');
  git(clone, 'config', 'commit.gpgsign', 'false');
  git(clone, 'config', 'user.name', 'bench');
  git(clone, 'config', 'user.email', 'bench@example.invalid');
  if (manifestText !== undefined) {
    mkdirSync(join(clone, `docs/reports/${DAY}`), { recursive: true });
    writeFileSync(join(clone, MANIFEST), manifestText);
    git(clone, 'add', MANIFEST);
  } else {
    writeFileSync(join(clone, 'README.md'), '# bench\n');
    git(clone, 'add', 'README.md');
  }
  git(clone, 'commit', '-q', '-m', 'seed');
  git(clone, 'push', '-q', 'origin', 'HEAD:main');
  return { remote, clone };
}

export async function runLedgerBench({ log }) {
  const { parseDayFile, serializeManifest } = await import('../dist/core/ledger/entry.js');
  const { applyMergeRule } = await import('../dist/core/ledger/merge.js');
  const { recordEntry } = await import('../dist/app/record.js');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  // record signs every change (issue 14): the goals are for key mode, signing included
  const signKey = join(work, 'ledger.key');
  const kg = spawnSync(process.execPath, [bin, 'keygen', '--out', signKey, '--json'], { encoding: 'utf8' });
  if (kg.status !== 0) throw new Error(`keygen failed: ${kg.stdout}${kg.stderr}`);
  const rows = [];
  const lockDir = join(work, 'locks');

  const text = serializeManifest(Array.from({ length: N }, (_, i) => entry(i)));
  const manifestPath = join(work, 'manifest.json');
  writeFileSync(manifestPath, text);
  log(`day file: ${N} entries, ${(text.length / 2 ** 20).toFixed(1)} MiB`);

  // 1. the merge itself: parse + merge rule + canonical bytes, vs jq on the same file
  const cases = {
    insert: entry(Math.floor(N / 2), { run_id: 999_999_999, timestamp: `${DAY}T23:59:59Z` }),
    update: {
      ...entry(Math.floor(N / 3)),
      timestamp: `${DAY}T23:59:59Z`,
      status: 'failure',
      artifact_url: null,
      failure_reason: 'upload failed',
    },
  };
  for (const [name, incoming] of PARTS.has('merge') ? Object.entries(cases) : []) {
    const entryPath = join(work, `${name}.json`);
    writeFileSync(entryPath, JSON.stringify(incoming));
    // Same work on both sides (read the file, merge, sort, pretty print), timed in alternating
    // order within each repetition so that load on the shared machine hits both alike; one untimed
    // run of each side first (JIT and page cache), then medians of MERGE_REPS.
    const ours = [];
    const jq = [];
    let ourText = '';
    let jqText = '';
    const runOurs = (times) => {
      const t0 = performance.now();
      // the engine's reader: byte and depth limits, JSON.parse, the one schema
      const entries = parseDayFile(readFileSync(manifestPath), MANIFEST);
      const result = applyMergeRule([{ path: MANIFEST, entries }], incoming);
      times?.push(performance.now() - t0);
      ourText = result.files[0].text;
    };
    const runJq = (times) => {
      const t0 = performance.now();
      const out = spawnSync('jq', ['--slurpfile', 'new', entryPath, JQ_MERGE, manifestPath], {
        maxBuffer: 1 << 30,
      });
      times?.push(performance.now() - t0);
      if (out.status !== 0) throw new Error(`jq failed: ${out.stderr}`);
      jqText = out.stdout.toString();
    };
    runOurs();
    runJq();
    for (let r = 0; r < MERGE_REPS; r++) {
      if (r % 2 === 0) {
        runOurs(ours);
        runJq(jq);
      } else {
        runJq(jq);
        runOurs(ours);
      }
    }
    const ratio = median(jq) / median(ours);
    log(`merge (${name}): slsa-ledger ${ms(median(ours))} ms, jq ${ms(median(jq))} ms`);
    rows.push(
      {
        metric: `merge ${name} into ${N} entries (slsa-ledger, in-process)`,
        value: ms(median(ours)),
        unit: 'ms',
      },
      {
        metric: `merge ${name} into ${N} entries (jq reduce + sort_by + pretty print)`,
        value: ms(median(jq)),
        unit: 'ms',
      },
      {
        metric: `merge ${name}: speed-up over jq`,
        value: Math.round(ratio * 10) / 10,
        unit: '×',
        goal: '≥ 5×',
        met: ratio >= 5,
      },
      {
        metric: `merge ${name}: output byte-identical to jq`,
        value: ourText === jqText ? 'yes' : 'no',
        unit: '',
        goal: 'yes',
        met: ourText === jqText,
      },
    );
  }

  if (PARTS.has('full')) {
    // 2. the full record (fetch, merge, commit, push) vs the workflow's jq + git commands
    const a = makeRepo('record-big', text);
    const b = makeRepo('jq-big', text);
    const recordTimes = [];
    const jqTimes = [];
    for (let r = 0; r < REPS; r++) {
      const incoming = entry(N + r, { timestamp: `${DAY}T23:59:${String(r).padStart(2, '0')}Z` });
      const entryPath = join(work, `full-${r}.json`);
      writeFileSync(entryPath, JSON.stringify(incoming));
      let t0 = performance.now();
      const rec = spawnSync(
        process.execPath,
        [bin, 'record', '--json', '--sign-key', signKey, '--repo', a.clone, '--entry', entryPath],
        {
          env: { ...process.env, SLSA_LEDGER_LOCK_DIR: lockDir },
        },
      );
      recordTimes.push(performance.now() - t0);
      if (rec.status !== 0) throw new Error(`record failed: ${rec.stdout}${rec.stderr}`);
      t0 = performance.now();
      git(b.clone, 'pull', '-q', '--ff-only', 'origin', 'main');
      const out = spawnSync('jq', ['--slurpfile', 'new', entryPath, JQ_MERGE, join(b.clone, MANIFEST)], {
        maxBuffer: 1 << 30,
      });
      if (out.status !== 0) throw new Error(`jq failed: ${out.stderr}`);
      writeFileSync(join(b.clone, MANIFEST), out.stdout);
      git(b.clone, 'add', MANIFEST);
      git(b.clone, 'commit', '-q', '-m', `provenance: record ${incoming.tag}`);
      git(b.clone, 'push', '-q', 'origin', 'HEAD:main');
      jqTimes.push(performance.now() - t0);
    }
    // record also stores metrics.lock_wait_s, which jq knows nothing of: compare without it
    const withoutLockWait = (t) =>
      serializeManifest(
        JSON.parse(t).map(({ metrics, ...e }) => {
          const { lock_wait_s: _, ...rest } = metrics ?? {};
          return Object.keys(rest).length > 0 ? { ...e, metrics: rest } : e;
        }),
      );
    const same =
      withoutLockWait(git(a.remote, 'show', `main:${MANIFEST}`)) ===
      withoutLockWait(git(b.remote, 'show', `main:${MANIFEST}`));
    log(`full record: slsa-ledger ${ms(median(recordTimes))} ms, jq + git ${ms(median(jqTimes))} ms`);
    rows.push(
      { metric: `record into ${N} entries + push (CLI process)`, value: ms(median(recordTimes)), unit: 'ms' },
      { metric: `jq + git pull/commit/push, same merge`, value: ms(median(jqTimes)), unit: 'ms' },
      {
        metric: 'full record: speed-up over jq + git',
        value: Math.round((median(jqTimes) / median(recordTimes)) * 10) / 10,
        unit: '×',
        goal: '≥ 1.5×',
        met: median(jqTimes) / median(recordTimes) >= 1.5,
      },
      {
        metric: 'full record: ledgers identical (apart from metrics.lock_wait_s)',
        value: same ? 'yes' : 'no',
        unit: '',
        goal: 'yes',
        met: same,
      },
    );
  }
  if (PARTS.has('small')) {
    // 3. median record + push into a small ledger on a local bare remote
    const c = makeRepo('small', undefined);
    const cli = [];
    const inProcess = [];
    for (let r = 0; r < REPS * 2; r++) {
      const e1 = entry(r, { run_id: 500_000 + r });
      let t0 = performance.now();
      const rec = spawnSync(
        process.execPath,
        [bin, 'record', '--json', '--sign-key', signKey, '--repo', c.clone, '--entry', '-'],
        {
          input: JSON.stringify(e1),
          env: { ...process.env, SLSA_LEDGER_LOCK_DIR: lockDir },
        },
      );
      cli.push(performance.now() - t0);
      if (rec.status !== 0) throw new Error(`record failed: ${rec.stdout}${rec.stderr}`);
      t0 = performance.now();
      const res = await recordEntry({ repoDir: c.clone, entry: entry(r, { run_id: 600_000 + r }), lockDir });
      inProcess.push(performance.now() - t0);
      if (res.outcome !== 'committed') throw new Error(`record: ${res.outcome}`);
    }
    log(`record + push (small ledger): CLI ${ms(median(cli))} ms, library ${ms(median(inProcess))} ms`);
    rows.push(
      {
        metric: 'record + push to a local bare remote, median (CLI process)',
        value: ms(median(cli)),
        unit: 'ms',
      },
      {
        metric: 'record + push to a local bare remote, median (library call)',
        value: ms(median(inProcess)),
        unit: 'ms',
      },
    );
  }
  if (PARTS.has('floor')) {
    // 4. issue 14: record end to end (CLI) into a one-day ledger and into five years of 30 entries a
    // day, against the floor: `node -e 0` + a bare git fetch, commit and push of one small file
    const YEARS = small ? 1 : 5;
    const PER_DAY = 30;
    const dayOf = (d) => new Date(Date.UTC(2020, 0, 1) + d * 86_400_000).toISOString().slice(0, 10);
    const oneDay = makeRepo('one-day', undefined);
    const aged = makeRepo('five-years', undefined);
    {
      const days = YEARS * 365;
      for (let d = 0; d < days; d++) {
        const iso = dayOf(d);
        const list = Array.from({ length: PER_DAY }, (_, k) =>
          entry(d * PER_DAY + k, { timestamp: `${iso}T10:${String(k).padStart(2, '0')}:00Z` }),
        );
        mkdirSync(join(aged.clone, `docs/reports/${iso}`), { recursive: true });
        writeFileSync(join(aged.clone, `docs/reports/${iso}/manifest.json`), serializeManifest(list));
      }
      git(aged.clone, 'add', '-A');
      git(aged.clone, 'commit', '-q', '-m', 'five years of entries');
      git(aged.clone, 'push', '-q', 'origin', 'HEAD:main');
      log(`aged ledger: ${days} day files, ${days * PER_DAY} entries`);
    }
    const floorRepo = makeRepo('floor', undefined);
    const recordInto = (repo, i) => {
      const e = entry(900_000 + i, {
        run_id: 900_000 + i,
        timestamp: `2025-12-01T10:00:${String(i % 60).padStart(2, '0')}Z`,
      });
      const t0 = performance.now();
      const rec = spawnSync(
        process.execPath,
        [bin, 'record', '--json', '--sign-key', signKey, '--repo', repo.clone, '--entry', '-'],
        {
          input: JSON.stringify(e),
          env: { ...process.env, SLSA_LEDGER_LOCK_DIR: lockDir },
        },
      );
      if (rec.status !== 0) throw new Error(`record failed: ${rec.stdout}${rec.stderr}`);
      return performance.now() - t0;
    };
    // the same floor in a copy of the five-year ledger (its own bare remote and clone): git's own
    // cost of a big tree (index refresh on add/commit, push's connectivity walk), for context; the
    // goal is against the floor above (a small repository)
    const agedFloor = { remote: join(work, 'floor-aged.git'), clone: join(work, 'floor-aged') };
    git(work, 'clone', '-q', '--bare', aged.remote, agedFloor.remote);
    git(work, 'clone', '-q', agedFloor.remote, agedFloor.clone);
    git(agedFloor.clone, 'config', 'gc.auto', '0');
    // `file`: where the floor writes; a record rewrites a day folder, and so the tree of every day
    // folder (`docs/reports`), which in five years holds 1,826 entries: the floor writing there
    // pays git's cost of that tree (pack, remote unpack, connectivity walk, index), as a record does
    const floorRunIn = (repo, i, file = 'x.json') => {
      const t0 = performance.now();
      spawnSync(process.execPath, ['-e', '0']);
      git(repo.clone, 'fetch', '-q', 'origin', 'main');
      mkdirSync(join(repo.clone, file, '..'), { recursive: true });
      writeFileSync(join(repo.clone, file), `${i}\n`);
      git(repo.clone, 'add', file);
      git(repo.clone, 'commit', '-q', '-m', `floor ${i}`);
      git(repo.clone, 'push', '-q', 'origin', 'HEAD:main');
      return performance.now() - t0;
    };
    const floorRun = (i) => floorRunIn(floorRepo, i);
    // one untimed run each: the aged ledger's first record builds its key index (once)
    const boot = recordInto(aged, 999);
    recordInto(oneDay, 999);
    const dayFile = `docs/reports/${DAY}/x.json`;
    floorRun(999);
    floorRunIn(agedFloor, 999);
    floorRunIn(floorRepo, 999, dayFile);
    floorRunIn(agedFloor, 999, dayFile);
    log(`first record into the aged ledger (builds the key index): ${ms(boot)} ms`);
    const tOne = [];
    const tAged = [];
    const tFloor = [];
    const tAgedFloor = [];
    const tDayFloor = [];
    const tAgedDayFloor = [];
    for (let r = 0; r < REPS * 2; r++) {
      const order = [
        () => tOne.push(recordInto(oneDay, r)),
        () => tAged.push(recordInto(aged, r)),
        () => tFloor.push(floorRun(r)),
        () => tAgedFloor.push(floorRunIn(agedFloor, r)),
        () => tDayFloor.push(floorRunIn(floorRepo, r, dayFile)),
        () => tAgedDayFloor.push(floorRunIn(agedFloor, r, dayFile)),
      ];
      for (let k = 0; k < order.length; k++) order[(k + r) % order.length]();
    }
    // a record right after a verdict (`validate --record` updates a run where its day file is, in
    // an old day): the update changes no key-index shard; the record after it must still read one
    // shard and two day files (twenty-third session: it read every day file, ~1.1 s more)
    const tAfterUpdate = [];
    for (let r = 0; r < REPS; r++) {
      const old = entry(r * 997, {
        timestamp: `2025-12-01T11:00:${String(r).padStart(2, '0')}Z`,
        governance_flag: 'validated',
      });
      const upd = spawnSync(
        process.execPath,
        [bin, 'record', '--json', '--sign-key', signKey, '--repo', aged.clone, '--entry', '-'],
        { input: JSON.stringify(old), env: { ...process.env, SLSA_LEDGER_LOCK_DIR: lockDir } },
      );
      if (upd.status !== 0) throw new Error(`update failed: ${upd.stdout}${upd.stderr}`);
      tAfterUpdate.push(recordInto(aged, 100 + r));
    }
    const agedRatio = median(tAged) / median(tOne);
    const floorRatio = median(tAged) / median(tFloor);
    // Node reads NODE_EXTRA_CA_CERTS at every start (this machine sets it: ~416 M instructions,
    // docs/ledger.md "Twentieth session"); record and floor both pay it, so without it (a
    // GitHub-hosted runner) both are shorter by the same time and their ratio is higher
    const caStart = [];
    const plainStart = [];
    if (process.env.NODE_EXTRA_CA_CERTS) {
      const { NODE_EXTRA_CA_CERTS: _, ...withoutCa } = process.env;
      const nodeStart = (env) => {
        const t0 = performance.now();
        spawnSync(process.execPath, ['-e', '0'], { env });
        return performance.now() - t0;
      };
      for (let r = 0; r < REPS * 2; r++) {
        caStart.push(nodeStart(process.env));
        plainStart.push(nodeStart(withoutCa));
      }
    }
    log(
      `record (CLI): one-day ${ms(median(tOne))} ms, ${YEARS}-year ${ms(median(tAged))} ms, floor ${ms(median(tFloor))} ms (in the ${YEARS}-year ledger: ${ms(median(tAgedFloor))} ms; writing a day folder's file: ${ms(median(tDayFloor))} / ${ms(median(tAgedDayFloor))} ms)`,
    );
    rows.push(
      { metric: 'record (CLI) into a one-day ledger, median', value: ms(median(tOne)), unit: 'ms' },
      {
        metric: `record (CLI) into ${YEARS} years × ${PER_DAY} entries/day, median`,
        value: ms(median(tAged)),
        unit: 'ms',
      },
      { metric: 'floor: node -e 0 + git fetch, commit, push, median', value: ms(median(tFloor)), unit: 'ms' },
      {
        metric: `record: ${YEARS}-year ledger / one-day ledger`,
        value: Math.round(agedRatio * 100) / 100,
        unit: '×',
        goal: '0.8–1.2×',
        met: agedRatio >= 0.8 && agedRatio <= 1.2,
      },
      {
        metric: `record (${YEARS}-year ledger) / floor`,
        value: Math.round(floorRatio * 100) / 100,
        unit: '×',
        goal: '≤ 1.5×',
        met: floorRatio <= 1.5,
      },
      {
        metric: `floor in a copy of the ${YEARS}-year ledger (same commands), median`,
        value: ms(median(tAgedFloor)),
        unit: 'ms',
      },
      {
        metric: `record (${YEARS}-year ledger) / floor in the same ledger`,
        value: Math.round((median(tAged) / median(tAgedFloor)) * 100) / 100,
        unit: '×',
      },
      {
        metric: "floor writing a day folder's file, small ledger, median",
        value: ms(median(tDayFloor)),
        unit: 'ms',
      },
      {
        metric: `floor writing a day folder's file, ${YEARS}-year ledger, median`,
        value: ms(median(tAgedDayFloor)),
        unit: 'ms',
      },
      {
        metric: `floor writing a day folder's file: ${YEARS}-year / small ledger (git's own age cost)`,
        value: Math.round((median(tAgedDayFloor) / median(tDayFloor)) * 100) / 100,
        unit: '×',
      },
      ...(caStart.length === 0
        ? []
        : (() => {
            const extra = median(caStart) - median(plainStart);
            return [
              {
                metric: '`node -e 0` with NODE_EXTRA_CA_CERTS (set here) / without, median',
                value: `${ms(median(caStart))} / ${ms(median(plainStart))}`,
                unit: 'ms',
              },
              {
                metric: `record (${YEARS}-year ledger) / floor, both without that start cost (estimate)`,
                value: Math.round(((median(tAged) - extra) / (median(tFloor) - extra)) * 100) / 100,
                unit: '×',
              },
            ];
          })()),
      {
        metric: `record (CLI) into ${YEARS} years right after an update of an old run, median`,
        value: ms(median(tAfterUpdate)),
        unit: 'ms',
      },
      {
        metric: `record after an update / record (${YEARS}-year ledger)`,
        value: Math.round((median(tAfterUpdate) / median(tAged)) * 100) / 100,
        unit: '×',
        goal: '0.8–1.2×',
        met: median(tAfterUpdate) / median(tAged) >= 0.8 && median(tAfterUpdate) / median(tAged) <= 1.2,
      },
      { metric: 'first record into the aged ledger (builds the key index)', value: ms(boot), unit: 'ms' },
    );
  }
  if (PARTS.has('signed-day')) {
    // 5. a day grown by LOG_LINES signed records: its log holds LOG_LINES lines in segments of
    // `ledgerLogSegmentBytes` (docs/trust.md "Storage layout"), laid out as the writers lay them
    // out (the lines are copies of a real signed line: a writer reads no line but the last
    // segment's, and verifies none). Record into it against the same day whose log has one line.
    const { otherLimits } = await import('../dist/core/input/limits.js');
    otherLimits.ledgerLogSegmentBytes ??= 256 * 1024; // an older build has no segments
    const fresh = makeRepo('signed-day-fresh', text);
    const grown = makeRepo('signed-day-grown', text);
    const signedInto = (repo, i) => {
      const e = entry(N + 1000 + i, { timestamp: `${DAY}T23:58:${String(i % 60).padStart(2, '0')}Z` });
      const t0 = performance.now();
      const rec = spawnSync(
        process.execPath,
        [bin, 'record', '--json', '--sign-key', signKey, '--repo', repo.clone, '--entry', '-'],
        { input: JSON.stringify(e), env: { ...process.env, SLSA_LEDGER_LOCK_DIR: lockDir } },
      );
      if (rec.status !== 0) throw new Error(`record failed: ${rec.stdout}${rec.stderr}`);
      return performance.now() - t0;
    };
    signedInto(fresh, 900);
    signedInto(grown, 900);
    git(grown.clone, 'pull', '-q', '--ff-only', 'origin', 'main');
    const logDir = join(grown.clone, `docs/reports/${DAY}`);
    const line = readFileSync(join(logDir, 'transitions.jsonl'), 'utf8');
    // BENCH_LEDGER_LOG_LAYOUT=single: every line in transitions.jsonl (a log written before
    // segments, or by an older slsa-ledger: the before figure)
    const perSegment =
      process.env.BENCH_LEDGER_LOG_LAYOUT === 'single'
        ? LOG_LINES
        : Math.ceil(otherLimits.ledgerLogSegmentBytes / Buffer.byteLength(line));
    let segments = 0;
    for (let done = 0; done < LOG_LINES; done += perSegment) {
      segments += 1;
      const name = segments === 1 ? 'transitions.jsonl' : `transitions.${segments}.jsonl`;
      writeFileSync(join(logDir, name), line.repeat(Math.min(perSegment, LOG_LINES - done)));
    }
    git(grown.clone, 'add', '-A');
    git(grown.clone, 'commit', '-q', '-m', `a day of ${LOG_LINES} signed lines`);
    git(grown.clone, 'push', '-q', 'origin', 'HEAD:main');
    log(`signed day: ${LOG_LINES} log lines of ${Buffer.byteLength(line)} bytes in ${segments} segments`);
    const tFresh = [];
    const tGrown = [];
    for (let r = 0; r < REPS; r++) {
      if (r % 2 === 0) {
        tFresh.push(signedInto(fresh, r));
        tGrown.push(signedInto(grown, r));
      } else {
        tGrown.push(signedInto(grown, r));
        tFresh.push(signedInto(fresh, r));
      }
    }
    const ratio = median(tGrown) / median(tFresh);
    log(
      `record into ${N} entries: log of ${LOG_LINES} signed lines ${ms(median(tGrown))} ms, of one line ${ms(median(tFresh))} ms (${ratio.toFixed(2)}×)`,
    );
    rows.push(
      {
        metric: `record (CLI) into ${N} entries whose log holds ${LOG_LINES} signed lines (${segments} segments), median`,
        value: ms(median(tGrown)),
        unit: 'ms',
      },
      {
        metric: `record (CLI) into ${N} entries whose log holds one signed line, median`,
        value: ms(median(tFresh)),
        unit: 'ms',
      },
      {
        metric: `record: ${LOG_LINES}-line log / one-line log`,
        value: Math.round(ratio * 100) / 100,
        unit: '×',
      },
    );
  }
  return rows;
}
