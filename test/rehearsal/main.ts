// `npm run rehearse`: runs every scenario (or those named) and prints one row per scenario:
// final entry state, release, alerts sent, issues opened. `--json` prints the rows as JSON.
import pg from 'pg';
import { scenarios, type Observed, type ScenarioOutcome } from './scenarios.js';
import { World } from './world.js';

async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> } | undefined> {
  const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
  try {
    await admin.connect();
  } catch {
    return undefined;
  }
  const name = `rehearsal_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: `postgres://postgres@127.0.0.1:5432/${name}`,
    drop: async () => {
      const c = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

async function countIngested(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ n: string }>('SELECT count(*)::text AS n FROM slsa_runs');
    return Number(r.rows[0]?.n ?? 0);
  } catch {
    return 0;
  } finally {
    await c.end();
  }
}

export async function runScenario(name: string): Promise<ScenarioOutcome> {
  const scenario = scenarios.find((s) => s.name === name);
  if (scenario === undefined) throw new Error(`no scenario ${name}`);
  const db = name === 'clean-release' ? await freshDatabase() : undefined;
  const world = new World(scenario.world(db === undefined ? {} : { databaseUrl: db.url }));
  const problems: string[] = [];
  try {
    await world.start();
    // the rehearsal's "public-good" Sigstore is local: the validator is told to trust it (a real
    // repository needs this variable only for GitHub's own instance or GHES)
    await world.commitTrustedRoot(world.api.repo.private ? world.githubSigstore : world.publicSigstore);
    try {
      await scenario.act(world);
    } catch (error) {
      problems.push(`the scenario broke: ${(error as Error).message}`);
    }
    await world.settle();
    const entries = world.ledgerEntries('slsa-ledger');
    const ingested = db === undefined ? undefined : await countIngested(db.url);
    const observed: Observed = {
      world,
      entries,
      entry: (tag) =>
        entries.filter((e) => e.tag === tag).sort((a, b) => Number(b.run_id) - Number(a.run_id))[0],
      releaseState: (tag) => {
        const r = world.api.releases.find((x) => x.tag_name === tag);
        return r === undefined
          ? 'none'
          : r.draft
            ? 'draft'
            : r.immutable
              ? 'published'
              : 'published (mutable)';
      },
      slack: world.slackMessages.length,
      issues: world.api.issues.map(
        (i) => `#${i.number} ${i.title}${i.comments.length ? ` (+${i.comments.length})` : ''}`,
      ),
      ingested,
      ledgerBranch: 'slsa-ledger',
    };
    problems.push(...world.errors.map((e) => `a run broke: ${e}`));
    // the drift guard runs after every writer run: it must pass (or give way to a newer check in its
    // concurrency group), and find nothing but a hand edit
    for (const run of world.runs.filter(
      (r) => r.name === 'ledger-check' && r.conclusion !== 'success' && r.conclusion !== 'cancelled',
    ))
      problems.push(`ledger-check #${run.id} ended ${run.conclusion}`);
    if (scenario.expectsDrift !== true)
      problems.push(
        ...observed.issues.filter((i) => i.includes('ledger-drift')).map((i) => `unexpected drift: ${i}`),
      );
    problems.push(...scenario.expect(observed));
    const latest = (tag: string) => observed.entry(tag);
    const tags = [...new Set(entries.map((e) => (typeof e.tag === 'string' ? e.tag : '')))].sort();
    const entryText =
      tags.length === 0 ? 'no entry' : tags.map((t) => `${t} ${describe(latest(t))}`).join('; ');
    return {
      scenario: name,
      entry: entryText,
      release:
        [
          ...new Set(world.api.releases.map((r) => `${r.tag_name} ${observed.releaseState(r.tag_name)}`)),
        ].join('; ') || 'none',
      slack: world.slackMessages.length,
      issues: world.api.issues.length,
      ingested:
        ingested === undefined
          ? db === undefined && name === 'clean-release'
            ? 'no postgres'
            : '–'
          : String(ingested),
      passed: problems.length === 0,
      problems,
      refusals: world.api.refusals.filter((r) => !r.includes('/releases/tags/')).slice(0, 12),
      runs: world.runs.map(
        (r) =>
          `${r.displayTitle} #${r.id}.${r.attempt}: ${r.conclusion} [${[...r.jobs.values()].map((j) => `${j.id}=${j.conclusion}`).join(' ')}]`,
      ),
    };
  } finally {
    if (process.env.REHEARSAL_KEEP !== '1') await world.close();
    else process.stderr.write(`kept ${world.root}\n`);
    await db?.drop();
  }
}

function describe(e: Record<string, unknown> | undefined): string {
  if (e === undefined) return 'no entry';
  const v = e.validation as { status?: string } | null | undefined;
  return `${String(e.status)}/${String(e.governance_flag)}${v?.status ? ` (validation ${v.status})` : ''}`;
}

export function renderTable(rows: readonly ScenarioOutcome[]): string {
  const header = ['scenario', 'final entry', 'release', 'slack', 'issues', 'ingested', 'result'];
  const body = rows.map((r) => [
    r.scenario,
    r.entry,
    r.release,
    String(r.slack),
    String(r.issues),
    r.ingested,
    r.passed ? 'pass' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const verbose = args.includes('--verbose');
  const names = args.filter((a) => !a.startsWith('--'));
  const chosen = names.length > 0 ? names : scenarios.map((s) => s.name);
  const rows: ScenarioOutcome[] = [];
  for (const name of chosen) {
    if (!json) process.stderr.write(`rehearsing ${name}…\n`);
    const row = await runScenario(name);
    rows.push(row);
    if (!json && (!row.passed || verbose)) {
      process.stderr.write(`  ${row.passed ? 'passed' : 'FAILED'}: ${row.problems.join('; ')}\n`);
      for (const r of row.runs) process.stderr.write(`    run ${r}\n`);
      for (const r of row.refusals) process.stderr.write(`    refused ${r}\n`);
    }
  }
  if (json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else
    process.stdout.write(
      `${renderTable(rows)}\n${rows.filter((r) => r.passed).length} passed, ${rows.filter((r) => !r.passed).length} failed\n`,
    );
  return rows.every((r) => r.passed) ? 0 : 1;
}

if (process.argv[1]?.endsWith('rehearse.bundle.mjs')) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`rehearsal broke: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(70);
    },
  );
}
