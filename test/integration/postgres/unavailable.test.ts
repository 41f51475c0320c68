// An unreachable database: exit 5 (DB_UNAVAILABLE) with a message naming the host, never the password.
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';

const password = 'Sup3rSecretPw';
const env = { PATH: process.env.PATH, HOME: process.env.HOME };

describe('unreachable database', () => {
  it.each([
    ['ingest', ['ingest', '--repo', '.']],
    ['kpi', ['kpi']],
    ['migrate', ['migrate']],
  ])('%s --database-url with nothing listening: exit 5 naming the host', async (_name, argv) => {
    const url = `postgres://alice:${password}@127.0.0.1:1/ledger`;
    for (const json of [true, false]) {
      const run = await runCliCaptured([...argv, '--database-url', url, ...(json ? ['--json'] : [])], {
        env,
      });
      expect(run.code).toBe(5);
      expect(run.stdout + run.stderr).toContain('127.0.0.1:1');
      expect(run.stdout + run.stderr).not.toContain(password);
      if (json) expect(run.json().error!.code).toBe('DB_UNAVAILABLE');
    }
  });

  it('DATABASE_URL from the environment, with a host that does not resolve', async () => {
    const run = await runCliCaptured(['kpi', '--json'], {
      env: { ...env, DATABASE_URL: `postgresql://bob:${password}@db.nonexistent.invalid:5433/x` },
    });
    expect(run.code).toBe(5);
    const error = run.json().error!;
    expect(error.code).toBe('DB_UNAVAILABLE');
    expect(error.message).toContain('db.nonexistent.invalid:5433');
    expect(JSON.stringify(error)).not.toContain(password);
    expect(run.stderr).not.toContain(password);
  });

  it('a url that is not postgres is a usage error', async () => {
    const run = await runCliCaptured(['kpi', '--database-url', 'mysql://u:p@h/db', '--json'], { env });
    expect(run.code).toBe(2);
    expect(run.json().error!.code).toBe('USAGE_INVALID_FLAG');
  });

  it('a bad window is a usage error', async () => {
    const run = await runCliCaptured(['kpi', '--since', 'yesterday', '--json'], { env });
    expect(run.code).toBe(2);
    expect(run.json().error!.code).toBe('KPI_WINDOW_INVALID');
  });
});
