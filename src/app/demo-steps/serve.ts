import { isSlsaLedgerError } from '../../errors.js';
import { defaultPort, serveDashboard, type RunningDashboard } from '../serve.js';
import type { DemoStep } from './types.js';

// The demo's last step: with `demo --serve`, the KPI dashboard stays up on the demo's embedded
// database (left by the ingest step as state value 'dbDir'); otherwise it says how to start it.
export const step: DemoStep = {
  title: 'serve: the KPI dashboard',
  async run({ state, logger, serve }) {
    const dbDir = state.values.get('dbDir');
    if (typeof dbDir !== 'string') {
      return ['no demo database (the ingest step did not run): nothing to serve'];
    }
    if (!serve) {
      return [
        'to look at these KPIs in a browser:',
        `  slsa-ledger serve --data-dir ${dbDir}`,
        '(or run the demo with --serve)',
      ];
    }
    let dashboard: RunningDashboard;
    try {
      dashboard = await serveDashboard({ dataDir: dbDir, port: defaultPort, logger });
    } catch (error) {
      // 8080 taken: any free port will do for a demo
      if (!isSlsaLedgerError(error) || error.code !== 'DASHBOARD_LISTEN_FAILED') throw error;
      dashboard = await serveDashboard({ dataDir: dbDir, port: 0, logger });
    }
    state.values.set('dashboard', dashboard);
    // The demo ends here but the server keeps the process alive; Ctrl-C or SIGTERM closes the
    // server and the embedded database cleanly rather than killing them mid-write.
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void dashboard.close();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    return [`dashboard: ${dashboard.url}`, 'it stays up on the demo database until Ctrl-C'];
  },
};
